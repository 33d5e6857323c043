//! `rudis-server`: parses the options, sets up logging (and the background, the pid
//! file, the supervisor), runs the server.

use rudis::server::{logging, signal, supervise};
use rudis::{Config, Server};

/// What `--version` prints: Redis's layout, which tools parse (`v=`).
fn version() -> String {
    format!(
        "rudis server v={} sha=00000000:0 malloc=libc bits={} build=0 (speaks Redis 7.0's protocol)",
        env!("CARGO_PKG_VERSION"),
        usize::BITS
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("-v" | "--version") => {
            println!("{}", version());
            return;
        }
        Some("-h" | "--help") => {
            println!("{}", rudis::config::USAGE);
            return;
        }
        Some("--test-memory") => {
            eprintln!(
                "rudis-server has no memory test: use a dedicated tool such as memtester \
                 (apt install memtester) or memtest86+."
            );
            std::process::exit(1);
        }
        _ => {}
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{}", rudis::config::USAGE);
        return;
    }
    let config = match Config::from_args(args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(1);
        }
    };
    if let Err(message) = logging::check(&config) {
        eprintln!("{message}");
        std::process::exit(1);
    }
    if config.daemonize {
        supervise::daemonize(false);
    }
    if let Err(message) = logging::init(&config) {
        eprintln!("{message}");
        std::process::exit(1);
    }
    log::info!("rudis is starting ({})", version());
    if let Some(path) = &config.config_file {
        log::info!("Configuration loaded from {}", path.display());
    }
    signal::install();
    supervise::write_pidfile(&config);
    let pidfile_config = config.clone();
    let result = Server::open(config).and_then(Server::run);
    supervise::remove_pidfile(&pidfile_config);
    if let Err(e) = result {
        log::error!("{e}");
        std::process::exit(1);
    }
}
