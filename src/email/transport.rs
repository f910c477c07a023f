//! Where email goes: an SMTP server (a pool of connections) when `TURNOUT_SMTP_URL`
//! is set, else `.eml` files in `TURNOUT_MAIL_DIR` for development.

use std::{path::PathBuf, time::Duration};

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    transport::smtp::PoolConfig,
};

/// Connections kept open to the SMTP server.
pub const POOL_SIZE: u32 = 8;
/// How long one SMTP exchange may take before it counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A configured way of sending.
#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

/// The transport could not be set up from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("TURNOUT_SMTP_URL: {0}")]
    SmtpUrl(#[source] lettre::transport::smtp::Error),
    #[error("TURNOUT_MAIL_DIR {0:?}: {1}")]
    MailDir(PathBuf, #[source] std::io::Error),
}

/// One message could not be delivered.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// The server refused the message for good (a 5xx reply): retrying is useless.
    pub permanent: bool,
    pub message: String,
}

impl Transport {
    pub fn new(smtp_url: Option<&str>, mail_dir: &std::path::Path) -> Result<Self, TransportError> {
        match smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(TransportError::SmtpUrl)?
                    .timeout(Some(SMTP_TIMEOUT))
                    .pool_config(PoolConfig::new().max_size(POOL_SIZE))
                    .build();
                Ok(Self::Smtp(transport))
            }
            None => {
                std::fs::create_dir_all(mail_dir)
                    .map_err(|e| TransportError::MailDir(mail_dir.to_owned(), e))?;
                Ok(Self::Files(AsyncFileTransport::new(mail_dir)))
            }
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            Self::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| SendError {
                permanent: e.is_permanent(),
                message: e.to_string(),
            }),
            Self::Files(files) => files.send(message).await.map(drop).map_err(|e| SendError {
                permanent: false,
                message: e.to_string(),
            }),
        }
    }
}
