//! Logging through `tracing`; `RUST_LOG` overrides the default filter.

use tracing_subscriber::{EnvFilter, fmt::MakeWriter};

/// Install the global subscriber. The writer is a parameter so tests can silence it.
pub fn init<W>(default_filter: &str, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    // A second call (several tests in one process) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .try_init();
}
