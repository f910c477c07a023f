//! What every connection and request meets before any route: a deadline for a
//! request's headers, a size and a deadline for its body. Without them one client
//! holds connections open for ever (half-open, or one header byte a minute) or
//! fills the server's memory with one form post.

use std::{
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use poem::{
    Endpoint, IntoResponse, Request, Response,
    http::{StatusCode, header},
    listener::Acceptor,
    web::{LocalAddr, RemoteAddr},
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::problem::Problem;

/// Every body, on every path, is at most this: a page's form is a few KiB, an API
/// body or a payment provider's webhook far under it.
pub const MAX_BODY: usize = 1024 * 1024;

/// How long a client may take over each part of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From a request's first byte to the end of its headers.
    pub headers: Duration,
    /// To send the whole body, once the headers are in.
    pub body: Duration,
    /// A connection with nothing read or written for this long is closed.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            headers: Duration::from_secs(10),
            body: Duration::from_secs(30),
            idle: Duration::from_secs(60),
        }
    }
}

/// Refuse a body over [`MAX_BODY`] (413, before reading it when it says its length)
/// or one that does not arrive within the body timeout (408); hand the routes the
/// body read whole.
pub async fn limit_body<E: Endpoint>(
    endpoint: Arc<E>,
    mut req: Request,
    timeout: Duration,
) -> poem::Result<Response> {
    if req
        .header(header::CONTENT_LENGTH)
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > MAX_BODY as u64)
    {
        return Ok(too_large());
    }
    let body = req.take_body();
    match tokio::time::timeout(timeout, body.into_bytes_limit(MAX_BODY)).await {
        Err(_) => {
            return Ok(Problem::new(
                StatusCode::REQUEST_TIMEOUT,
                "the body did not arrive in time",
            )
            .into_response());
        }
        Ok(Err(poem::error::ReadBodyError::PayloadTooLarge)) => return Ok(too_large()),
        Ok(Err(_)) => {
            return Ok(
                Problem::new(StatusCode::BAD_REQUEST, "the body could not be read").into_response(),
            );
        }
        Ok(Ok(bytes)) => req.set_body(bytes),
    }
    endpoint.call(req).await.map(IntoResponse::into_response)
}

/// 413: the body is over [`MAX_BODY`].
pub(super) fn too_large() -> Response {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the body is over {} KiB", MAX_BODY / 1024),
    )
    .into_response()
}

/// Accepts connections that must finish each request's headers within a deadline.
pub struct HeaderDeadline<A> {
    inner: A,
    deadline: Duration,
}

impl<A> HeaderDeadline<A> {
    pub fn new(inner: A, deadline: Duration) -> Self {
        Self { inner, deadline }
    }
}

impl<A: Acceptor> Acceptor for HeaderDeadline<A> {
    type Io = DeadlineIo<A::Io>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.inner.local_addr()
    }

    async fn accept(
        &mut self,
    ) -> io::Result<(Self::Io, LocalAddr, RemoteAddr, poem::http::uri::Scheme)> {
        let (io, local, remote, scheme) = self.inner.accept().await?;
        Ok((DeadlineIo::new(io, self.deadline), local, remote, scheme))
    }
}

/// A connection that watches for the end of each HTTP/1 request's headers (the
/// first blank line): from a request's first byte, it has the deadline to get
/// there, or reading fails and the connection closes. Once we answer, the next
/// bytes start a new request. (An HTTP/2 preface ends in a blank line at once, so
/// HTTP/2 connections are left to the idle timeout.)
pub struct DeadlineIo<T> {
    inner: T,
    deadline: Duration,
    state: HeaderState,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderState {
    /// Between requests: no clock runs (the idle timeout does).
    Between,
    /// In a request's headers; how many line feeds in a row were seen last, carriage
    /// returns aside (two end the headers, as in `\r\n\r\n` or a bare `\n\n`).
    Headers { line_feeds: u8 },
    /// Past the headers, until we write an answer.
    Body,
}

impl<T> DeadlineIo<T> {
    fn new(inner: T, deadline: Duration) -> Self {
        Self {
            inner,
            deadline,
            state: HeaderState::Between,
            timer: None,
        }
    }

    /// Follow the bytes just read.
    fn saw(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let line_feeds = match self.state {
                HeaderState::Body => return,
                HeaderState::Between => {
                    self.timer = Some(Box::pin(tokio::time::sleep(self.deadline)));
                    0
                }
                HeaderState::Headers { line_feeds } => line_feeds,
            };
            let line_feeds = match b {
                b'\n' => line_feeds + 1,
                b'\r' => line_feeds,
                _ => 0,
            };
            if line_feeds == 2 {
                self.state = HeaderState::Body;
                self.timer = None;
            } else {
                self.state = HeaderState::Headers { line_feeds };
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for DeadlineIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                // Bodies pass untouched: only headers are scanned, in place.
                if self.state != HeaderState::Body {
                    self.saw(&buf.filled()[before..]);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match self.timer.as_mut().map(|t| t.as_mut().poll(cx)) {
                Some(Poll::Ready(())) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "request headers did not arrive in time",
                ))),
                _ => Poll::Pending,
            },
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for DeadlineIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.state == HeaderState::Body {
            self.state = HeaderState::Between;
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.state == HeaderState::Body {
            self.state = HeaderState::Between;
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_clock_runs_from_a_requests_first_byte_to_its_blank_line() {
        let mut io = DeadlineIo::new((), Duration::from_secs(1));
        assert!(io.timer.is_none());
        io.saw(b"GET / HTTP/1.1\r\nHost: a\r\n");
        assert!(io.timer.is_some());
        io.saw(b"\r");
        assert!(io.timer.is_some());
        io.saw(b"\nbody bytes \r\n\r\n");
        assert!(io.timer.is_none());
        assert_eq!(io.state, HeaderState::Body);
    }

    #[tokio::test]
    async fn bare_line_feeds_end_the_headers_too_and_a_header_line_does_not() {
        let mut io = DeadlineIo::new((), Duration::from_secs(1));
        io.saw(b"GET / HTTP/1.1\nHost: a\r\n");
        assert!(matches!(io.state, HeaderState::Headers { .. }));
        io.saw(b"\n");
        assert_eq!(io.state, HeaderState::Body);
    }
}
