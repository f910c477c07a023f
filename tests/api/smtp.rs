//! A real SMTP server inside the test harness (`mailin-embedded`), keeping every
//! message it accepts so tests read what a supporter's mail server would receive.

use std::{
    net::TcpListener,
    sync::{Arc, Mutex},
    time::Duration,
};

use mail_parser::MimeHeaders;
use mailin_embedded::{Handler, Server, SslConfig, response};

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub envelope_to: Vec<String>,
    /// The message exactly as sent (headers and body, CRLF line ends).
    pub raw: Vec<u8>,
}

impl Received {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("a MIME message")
    }

    pub fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// The message's header block, as sent.
    pub fn header_block(&self) -> String {
        let raw = self.raw_text();
        raw.split("\r\n\r\n").next().unwrap_or_default().to_owned()
    }

    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }

    pub fn html(&self) -> String {
        self.parsed()
            .body_html(0)
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }

    pub fn message_id(&self) -> String {
        self.parsed().message_id().unwrap_or_default().to_owned()
    }

    /// The value of a header, unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let unfolded = self
            .header_block()
            .replace("\r\n ", " ")
            .replace("\r\n\t", " ");
        unfolded.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    /// The calendar attachment, with its content type.
    pub fn calendar(&self) -> Option<(String, String)> {
        let message = self.parsed();
        message.attachments().find_map(|part| {
            let ct = part.content_type()?;
            if ct.ctype() != "text" || ct.subtype() != Some("calendar") {
                return None;
            }
            let method = ct.attribute("method").unwrap_or_default().to_owned();
            Some((
                method,
                String::from_utf8_lossy(part.contents()).into_owned(),
            ))
        })
    }
}

#[derive(Clone, Default)]
struct Collector {
    inbox: Arc<Mutex<Vec<Received>>>,
    /// Reply 550 to these recipients.
    refuse: Arc<Mutex<Vec<String>>>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Collector {
    fn rcpt(&mut self, to: &str) -> mailin_embedded::Response {
        let to = to.trim_matches(['<', '>']).to_owned();
        if self.refuse.lock().unwrap().contains(&to) {
            // As real servers do, the refusal names the address.
            return mailin_embedded::Response::custom(
                550,
                format!("5.1.1 <{to}>: Recipient address rejected"),
            );
        }
        self.to.push(to);
        response::OK
    }

    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> mailin_embedded::Response {
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        self.inbox.lock().unwrap().push(Received {
            envelope_to: std::mem::take(&mut self.to),
            raw: std::mem::take(&mut self.data),
        });
        response::OK
    }
}

/// The SMTP server of a test. mailin-embedded cannot stop a server, and each keeps
/// 25 threads; one per test for the whole suite passed Linux's limit of memory
/// mappings per process. So a server whose test is done goes back to a pool, empty,
/// for the next test to take.
#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    inbox: Arc<Mutex<Vec<Received>>>,
    refuse: Arc<Mutex<Vec<String>>>,
    _lease: Arc<Lease>,
}

/// A running server, idle in the pool or held by one test.
#[derive(Clone)]
struct Running {
    port: u16,
    inbox: Arc<Mutex<Vec<Received>>>,
    refuse: Arc<Mutex<Vec<String>>>,
}

static IDLE: Mutex<Vec<Running>> = Mutex::new(Vec::new());

/// Held by every clone of a test's server; the last one gone returns it to the pool.
struct Lease(Running);

impl Drop for Lease {
    fn drop(&mut self) {
        if let Ok(mut idle) = IDLE.lock() {
            idle.push(self.0.clone());
        }
    }
}

impl SmtpServer {
    /// A server on a free port: an idle one, emptied, or a new one.
    pub fn start() -> Self {
        let idle = IDLE.lock().unwrap().pop();
        match idle {
            Some(running) => {
                running.inbox.lock().unwrap().clear();
                running.refuse.lock().unwrap().clear();
                Self::holding(running)
            }
            None => {
                let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
                Self::start_on(listener)
            }
        }
    }

    fn holding(running: Running) -> Self {
        Self {
            port: running.port,
            inbox: running.inbox.clone(),
            refuse: running.refuse.clone(),
            _lease: Arc::new(Lease(running)),
        }
    }

    /// A server on a port reserved for it (to bring a server up where the app was
    /// already told to look, after it found nothing there).
    pub fn start_on(listener: TcpListener) -> Self {
        let port = listener.local_addr().unwrap().port();
        let collector = Collector::default();
        let server = Self::holding(Running {
            port,
            inbox: collector.inbox.clone(),
            refuse: collector.refuse.clone(),
        });
        let mut smtp = Server::new(collector);
        smtp.with_name("smtp.test")
            .with_ssl(SslConfig::None)
            .expect("no TLS")
            .with_num_threads(24)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = smtp.serve();
        });
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Refuse mail for this address for good (550).
    pub fn refuse(&self, address: &str) {
        self.refuse.lock().unwrap().push(address.to_owned());
    }

    /// Take mail for this address again (after [`SmtpServer::refuse`]).
    pub fn accept(&self, address: &str) {
        self.refuse.lock().unwrap().retain(|a| a != address);
    }

    pub fn all(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().clone()
    }

    /// How many messages arrived, without copying them (for tests of thousands).
    pub fn count(&self) -> usize {
        self.inbox.lock().unwrap().len()
    }

    /// Messages whose envelope goes to `address`.
    pub fn to(&self, address: &str) -> Vec<Received> {
        self.all()
            .into_iter()
            .filter(|m| {
                m.envelope_to
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(address))
            })
            .collect()
    }

    /// The last message to `address`; panics when there is none.
    #[track_caller]
    pub fn last_to(&self, address: &str) -> Received {
        let all = self.to(address);
        all.last()
            .cloned()
            .unwrap_or_else(|| panic!("no email to {address}; got {} in all", self.all().len()))
    }

    /// Wait until at least `count` messages arrived (delivery is asynchronous only
    /// when a server runs its own worker).
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..200 {
            let all = self.all();
            if all.len() >= count {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {count} emails, got {}", self.all().len());
    }
}
