//! The seed README's Python session, in Rust. It ends with the seed's FLUSH, which
//! DELETES EVERY KEY of database 0 on the server it talks to: run it against a
//! scratch server.
//!
//! ```text
//! cargo run --bin rudis-server -- --port 6390 &
//! cargo run --example seed_session -- 127.0.0.1:6390
//! ```

use std::collections::HashMap;
use std::error::Error;

use rudis::Client;

fn main() -> Result<(), Box<dyn Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:31337".to_string());
    let mut client = Client::connect(addr.as_str())?;

    // >>> client.set('key', 'value')
    client.set("key", "value")?;
    // >>> client.get('key')
    let value: Option<String> = client.get("key")?;
    println!("get('key') = {value:?}");

    // >>> client.set('complex', {'nested': [1, 2, 3]})
    let complex = HashMap::from([("nested", vec![1, 2, 3])]);
    client.set("complex", &complex)?;
    // >>> client.get('complex')
    let back: Option<HashMap<String, Vec<i64>>> = client.get("complex")?;
    println!("get('complex') = {back:?}");

    // client.mset('k1', 'v1', 'k2', 'v2', 'k3', 'v3'); client.mget('k1', 'k2', 'k3')
    client.mset(&[("k1", "v1"), ("k2", "v2"), ("k3", "v3")])?;
    let values: Vec<Option<String>> = client.mget(&["k1", "k2", "k3"])?;
    println!("mget('k1', 'k2', 'k3') = {values:?}");

    // client.delete('k1'); client.get('k1')
    let removed = client.delete(&["k1"])?;
    let gone: Option<String> = client.get("k1")?;
    println!("delete('k1') = {removed}, then get('k1') = {gone:?}");

    // client.flush()
    let count = client.flush()?;
    println!("flush() removed {count} keys");
    Ok(())
}
