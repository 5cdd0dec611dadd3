//! The `crm` binary: parses the command line and hands over to `crm_api`.

use clap::Parser;

// See the workspace Cargo.toml and docs/PERFORMANCE.md: resident memory under load.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let cli = crm_api::cli::Cli::parse();
    std::process::exit(crm_api::main_with(cli).await);
}
