//! `rudis.conf` in the repository is the text the configuration table generates
//! (`rudis::config::sample::render`): a directive added without its line there, or
//! a default changed, fails here. `RUDIS_BLESS=1 cargo test --test sample_config`
//! writes the file anew.

use rudis::config::sample::render;

#[test]
fn the_committed_sample_is_the_generated_one() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rudis.conf");
    let generated = render();
    if std::env::var_os("RUDIS_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write rudis.conf");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "rudis.conf differs from the configuration table: regenerate it with \
         RUDIS_BLESS=1 cargo test --test sample_config"
    );
}

#[test]
fn the_sample_starts_the_server_unchanged() {
    // Every line is a comment: the file is valid as it is.
    let mut config = rudis::Config::default();
    config.apply_text(&render()).expect("valid");
}
