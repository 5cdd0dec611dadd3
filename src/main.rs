//! The `crm` binary: parses the command line and hands over to `crm_api`.

use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = crm_api::cli::Cli::parse();
    std::process::exit(crm_api::main_with(cli).await);
}
