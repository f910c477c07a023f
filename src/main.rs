//! The `turnout` command: see `cli.rs` for what it can do.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    turnout::telemetry::init("info", std::io::stderr);
    let cli = turnout::cli::Cli::parse();
    match cli.run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("turnout: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
