//! `rudis-server`: parses flags, sets up logging, runs the server.

use std::io::IsTerminal;

use rudis::{Config, Server};
use simplelog::{ColorChoice, ConfigBuilder, TermLogger, TerminalMode};

fn main() {
    let config = match Config::from_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(if message.starts_with("Usage") { 0 } else { 1 });
        }
    };
    let log_config = ConfigBuilder::new().set_time_format_rfc3339().build();
    // Colours only on a terminal: a log redirected to a file stays plain text.
    let colours = if std::io::stderr().is_terminal() {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    };
    let _ = TermLogger::init(config.loglevel, log_config, TerminalMode::Stderr, colours);
    rudis::server::signal::install();
    let result = Server::bind(config).and_then(Server::run);
    if let Err(e) = result {
        log::error!("{e}");
        std::process::exit(1);
    }
}
