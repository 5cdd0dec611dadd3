//! The tracing subscriber, built once: readable lines in development, JSON elsewhere,
//! `RUST_LOG` honoured.

use crate::settings::Settings;
use tracing_subscriber::EnvFilter;

pub fn init(settings: &Settings) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let json = match settings.log.format.as_str() {
        "json" => true,
        "pretty" => false,
        _ => settings.env != "development" && settings.env != "test",
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    // `try_init`: a second call (tests start many servers in one process) keeps the first.
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    } else {
        builder.try_init()
    };
}
