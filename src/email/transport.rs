//! Where email goes: an SMTP server when `TURNOUT_SMTP_URL` is set, else `.eml`
//! files in `TURNOUT_MAIL_DIR` for development.
//!
//! For `smtp://` URLs (plain, or upgraded with `?tls=required|opportunistic`) we keep
//! our own pool of lettre connections over sockets with `TCP_NODELAY`. lettre's
//! own pool cannot set it, and lettre 0.11.23 writes a message and its closing
//! `\r\n.\r\n` as two writes: Nagle's algorithm holds the second until the server's
//! delayed ACK, about 40 ms per message, which capped delivery near 175 messages/s.
//! (lettre's fix, PR #1159, is merged but not released.) `smtps://` (TLS from the
//! first byte) still goes through lettre's pool.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
};

use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    transport::smtp::{
        PoolConfig,
        authentication::{Credentials, Mechanism},
        client::{AsyncSmtpConnection, TlsParameters},
        extension::ClientId,
    },
};
use tokio::sync::Semaphore;

/// Connections kept open to the SMTP server.
pub const POOL_SIZE: u32 = 8;
/// How long one SMTP exchange may take before it counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A configured way of sending.
#[derive(Clone)]
pub enum Transport {
    Smtp(Arc<SmtpPool>),
    Smtps(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

/// The transport could not be set up from the configuration.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("TURNOUT_SMTP_URL: {0}")]
    SmtpUrl(#[source] lettre::transport::smtp::Error),
    #[error("TURNOUT_SMTP_URL: {0}")]
    Url(String),
    #[error("TURNOUT_MAIL_DIR {0:?}: {1}")]
    MailDir(PathBuf, #[source] std::io::Error),
}

/// One message could not be delivered.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// The server refused the message for good (a 5xx reply): retrying is useless.
    pub permanent: bool,
    /// No session could be opened with the server (it is down, unreachable, or
    /// refuses our login): nothing about this message failed, and no other message
    /// will get through until the server is back.
    pub unreachable: bool,
    pub message: String,
}

impl SendError {
    /// A failure that may pass: worth another attempt later.
    pub fn temporary(message: impl Into<String>) -> Self {
        Self {
            permanent: false,
            unreachable: false,
            message: message.into(),
        }
    }
}

impl From<lettre::transport::smtp::Error> for SendError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        Self {
            permanent: e.is_permanent(),
            unreachable: false,
            message: e.to_string(),
        }
    }
}

impl Transport {
    pub fn new(smtp_url: Option<&str>, mail_dir: &std::path::Path) -> Result<Self, TransportError> {
        let Some(url) = smtp_url else {
            std::fs::create_dir_all(mail_dir)
                .map_err(|e| TransportError::MailDir(mail_dir.to_owned(), e))?;
            return Ok(Self::Files(AsyncFileTransport::new(mail_dir)));
        };
        // lettre reads the URL first, so that what it refuses we refuse alike.
        let lettre =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(TransportError::SmtpUrl)?;
        Ok(match SmtpServer::from_url(url)? {
            Some(server) => Self::Smtp(Arc::new(SmtpPool::new(server))),
            None => Self::Smtps(
                lettre
                    .timeout(Some(SMTP_TIMEOUT))
                    .pool_config(PoolConfig::new().max_size(POOL_SIZE))
                    .build(),
            ),
        })
    }

    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            Self::Smtp(pool) => pool.send(&message).await,
            Self::Smtps(smtp) => smtp.send(message).await.map(drop).map_err(Into::into),
            Self::Files(files) => files
                .send(message)
                .await
                .map(drop)
                .map_err(|e| SendError::temporary(e.to_string())),
        }
    }
}

/// Where an `smtp://` URL points, read as lettre reads it.
#[derive(Debug)]
struct SmtpServer {
    host: String,
    port: u16,
    /// STARTTLS: whether the server must offer it.
    starttls: Option<bool>,
    credentials: Option<Credentials>,
    hello: ClientId,
}

impl SmtpServer {
    /// `None` for `smtps://`, which lettre's pool serves.
    fn from_url(url: &str) -> Result<Option<Self>, TransportError> {
        let url = url::Url::parse(url).map_err(|e| TransportError::Url(e.to_string()))?;
        if url.scheme() != "smtp" {
            return Ok(None);
        }
        let host = url
            .host_str()
            .ok_or_else(|| TransportError::Url("no host".into()))?
            .to_owned();
        let starttls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, tls)| tls == "required");
        // As lettre: port 25 in the clear, the submission port with STARTTLS.
        let port = url
            .port()
            .unwrap_or(if starttls.is_some() { 587 } else { 25 });
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|e| TransportError::Url(e.to_string()))
        };
        let credentials = url
            .password()
            .map(|password| Ok(Credentials::new(decode(url.username())?, decode(password)?)))
            .transpose()?;
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        Ok(Some(Self {
            host,
            port,
            starttls,
            credentials,
            hello,
        }))
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let failed = SendError::temporary;
        let socket = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| failed(format!("connecting to {}:{}: {e}", self.host, self.port)))?;
        socket
            .set_nodelay(true)
            .map_err(|e| failed(e.to_string()))?;
        let mut connection =
            AsyncSmtpConnection::connect_with_transport(Box::new(socket), &self.hello).await?;
        if let Some(required) = self.starttls
            && (required || connection.can_starttls())
        {
            let tls = TlsParameters::new(self.host.clone())?;
            connection.starttls(tls, &self.hello).await?;
        }
        if let Some(credentials) = &self.credentials {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await?;
        }
        Ok(connection)
    }
}

/// Up to [`POOL_SIZE`] connections to one server, kept open between messages.
pub struct SmtpPool {
    server: SmtpServer,
    idle: Mutex<Vec<AsyncSmtpConnection>>,
    slots: Semaphore,
}

impl SmtpPool {
    fn new(server: SmtpServer) -> Self {
        Self {
            server,
            idle: Mutex::default(),
            slots: Semaphore::new(POOL_SIZE as usize),
        }
    }

    async fn send(&self, message: &Message) -> Result<(), SendError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| SendError::temporary(e.to_string()))?;
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let exchange = async {
            let mut connection = match idle {
                Some(connection) if !connection.has_broken() => connection,
                // Whatever stops a session opening (no answer, a refused login) is
                // the server's state, not this message's.
                _ => self.server.connect().await.map_err(|e| SendError {
                    permanent: false,
                    unreachable: true,
                    ..e
                })?,
            };
            // lettre closes a connection on any error, refusals included.
            connection
                .send(message.envelope(), &message.formatted())
                .await?;
            Ok::<_, SendError>(connection)
        };
        match tokio::time::timeout(SMTP_TIMEOUT, exchange).await {
            Ok(Ok(connection)) => {
                self.keep(connection);
                Ok(())
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(SendError::temporary(format!(
                "no answer from the SMTP server within {SMTP_TIMEOUT:?}"
            ))),
        }
    }

    fn keep(&self, connection: AsyncSmtpConnection) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(connection);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(url: &str) -> SmtpServer {
        SmtpServer::from_url(url)
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("{url} is an smtp:// server"))
    }

    #[test]
    fn an_smtp_url_is_read_as_lettre_reads_it() {
        let plain = server("smtp://localhost");
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.starttls),
            ("localhost", 25, None)
        );
        assert!(plain.credentials.is_none());

        let submission = server("smtp://mail.example.org?tls=required");
        assert_eq!((submission.port, submission.starttls), (587, Some(true)));
        let maybe = server("smtp://mail.example.org:2525?tls=opportunistic");
        assert_eq!((maybe.port, maybe.starttls), (2525, Some(false)));

        let with_login =
            server("smtp://ana%40lrbc.ca:p%40ss%20word@mail.example.org/turnout.example");
        assert_eq!(
            with_login.credentials,
            Some(Credentials::new("ana@lrbc.ca".into(), "p@ss word".into()))
        );
        assert_eq!(with_login.hello, ClientId::Domain("turnout.example".into()));
    }

    #[tokio::test]
    async fn smtps_is_left_to_lettres_pool() {
        assert!(matches!(
            SmtpServer::from_url("smtps://mail.example.org"),
            Ok(None)
        ));
        assert!(matches!(
            Transport::new(
                Some("smtps://mail.example.org"),
                std::path::Path::new("/tmp")
            ),
            Ok(Transport::Smtps(_))
        ));
        assert!(matches!(
            Transport::new(Some("smtp://localhost:2525"), std::path::Path::new("/tmp")),
            Ok(Transport::Smtp(_))
        ));
    }
}
