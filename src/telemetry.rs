//! Structured logs through `tracing`.

use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

/// actix-http logs every request it cannot parse (a bad request line or header, never reaching
/// the application) as an ERROR "stream error": any client could fill the error log with them.
/// They are answered 400 and not logged; everything the application answers is logged with its
/// status, client errors at INFO.
const QUIET_CLIENT_ERRORS: &str = "actix_http::h1::dispatcher=off";

/// Installs the global subscriber; a second call (as in tests) is a no-op.
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(format!("{filter},{QUIET_CLIENT_ERRORS}"))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_target(false);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    // Panics go to the structured log like everything else (the request span names the request).
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        tracing::error!(panic = %info, location = location.as_deref().unwrap_or("unknown"), "panic");
    }));
}
