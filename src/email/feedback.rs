//! What receiving mail systems tell us back: delivery status notifications
//! (RFC 3464, "bounces") and abuse reports (RFC 5965, ARF, "complaints"), read
//! into [`Report`]s. Pure reading: what a report does to an address is
//! [`super::suppression`]'s.
//!
//! The MIME structure (a `multipart/report` with its `message/delivery-status` or
//! `message/feedback-report` part, and the original message or its headers) is
//! read by `mail-parser`, Stalwart's parser, which a mail server runs on every
//! message it receives; only the report's own fields (`Name: value` lines in
//! groups) are read here.

use mail_parser::{MessageParser, MimeHeaders};

/// The most reports one body may carry (one per recipient of a DSN): beyond, the
/// rest is not read.
const MOST_REPORTS: usize = 100;
/// The most characters of a report's words kept as the reason.
const DETAIL_MAX: usize = 500;

/// One recipient's fate, as a report tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The address the report names (lower-cased), if it names one.
    pub address: Option<String>,
    /// The Message-ID of the email reported on, without its angle brackets, when
    /// the report includes the email or its headers: it names our recipient
    /// better than the report's own words.
    pub message_id: Option<String>,
    pub verdict: Verdict,
    /// The status and the server's words, for whoever reads why.
    pub detail: String,
}

/// What a report says of its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It will never arrive (`Action: failed`, a 5.x.x status).
    Permanent,
    /// Not now (`Action: delayed`, or a 4.x.x failure).
    Temporary,
    /// Its reader called it abuse.
    Complaint,
}

/// Why a body could not be read as a report.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FeedbackError {
    #[error("the body is not a MIME message")]
    NotAMessage,
    #[error(
        "the message is neither a delivery status notification (RFC 3464) nor an abuse report (RFC 5965)"
    )]
    NotAReport,
}

/// Read a body: a whole report message (`multipart/report`), or a report's own
/// part alone (`message/delivery-status`, `message/feedback-report` fields).
/// Delivered and relayed recipients of a DSN are no news and are left out.
pub fn read(raw: &[u8]) -> Result<Vec<Report>, FeedbackError> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(FeedbackError::NotAMessage)?;
    let original = message.parts.iter().find_map(|part| {
        let ct = part.content_type()?;
        match (ct.ctype(), ct.subtype()) {
            ("message", Some("rfc822" | "global")) => part.message().cloned(),
            ("text", Some("rfc822-headers")) | ("message", Some("rfc822-headers")) => {
                MessageParser::default()
                    .parse(part.contents())
                    .map(|m| m.into_owned())
            }
            _ => None,
        }
    });
    let message_id = original
        .as_ref()
        .and_then(|m| m.message_id())
        .map(str::to_owned);
    let original_to = original
        .as_ref()
        .and_then(|m| m.to())
        .and_then(|to| to.first())
        .and_then(|a| a.address())
        .map(str::to_lowercase);

    for part in &message.parts {
        let Some(ct) = part.content_type() else {
            continue;
        };
        match (ct.ctype(), ct.subtype()) {
            ("message", Some("delivery-status" | "global-delivery-status")) => {
                return Ok(delivery_status(part.contents(), message_id.as_deref()));
            }
            ("message", Some("feedback-report")) => {
                return Ok(vec![complaint(part.contents(), message_id, original_to)]);
            }
            _ => {}
        }
    }
    // A report part posted alone: its fields are the whole body.
    let groups = groups(raw);
    let fields = || groups.iter().flatten();
    if fields().any(|(name, _)| name == "feedback-type") {
        return Ok(vec![complaint(raw, None, None)]);
    }
    if fields().any(|(name, _)| name == "final-recipient" || name == "original-recipient") {
        return Ok(delivery_status(raw, None));
    }
    Err(FeedbackError::NotAReport)
}

/// The recipients of a `message/delivery-status` part that failed or wait.
fn delivery_status(fields: &[u8], message_id: Option<&str>) -> Vec<Report> {
    groups(fields)
        .iter()
        .filter_map(|group| {
            let field = |name: &str| {
                group
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.as_str())
            };
            let recipient = field("final-recipient").or(field("original-recipient"))?;
            let action = field("action").unwrap_or_default().to_ascii_lowercase();
            let status = field("status").unwrap_or_default();
            let verdict = match (action.as_str(), status.chars().next()) {
                ("failed", Some('4')) | ("delayed", _) => Verdict::Temporary,
                ("failed", _) => Verdict::Permanent,
                // delivered, relayed, expanded: nothing to act on.
                _ => return None,
            };
            let words = field("diagnostic-code").unwrap_or_default();
            Some(Report {
                address: address_of(recipient),
                message_id: message_id.map(str::to_owned),
                verdict,
                detail: detail(&[status, words]),
            })
        })
        .take(MOST_REPORTS)
        .collect()
}

/// A `message/feedback-report` part: whoever received the email reported it.
fn complaint(fields: &[u8], message_id: Option<String>, original_to: Option<String>) -> Report {
    let groups = groups(fields);
    let field = |name: &str| {
        groups
            .iter()
            .flatten()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let address = field("original-rcpt-to")
        .and_then(address_of)
        .or(original_to);
    Report {
        address,
        message_id,
        verdict: Verdict::Complaint,
        detail: detail(&[field("feedback-type").unwrap_or("abuse")]),
    }
}

/// The address of a recipient field: `rfc822; ana@example.org` (the type before
/// the semicolon), or a bare address, in angle brackets or not.
fn address_of(value: &str) -> Option<String> {
    let address = value.split_once(';').map_or(value, |(_, a)| a).trim();
    let address = address.trim_start_matches('<').trim_end_matches('>').trim();
    (address.contains('@') && !address.chars().any(char::is_whitespace))
        .then(|| address.to_lowercase())
}

/// Report fields in their groups (separated by blank lines), names lower-cased,
/// folded lines joined.
fn groups(raw: &[u8]) -> Vec<Vec<(String, String)>> {
    let text = String::from_utf8_lossy(raw);
    let mut groups: Vec<Vec<(String, String)>> = Vec::new();
    let mut current: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                groups.push(std::mem::take(&mut current));
            }
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            current.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// The words kept as a reason: the non-empty parts, joined, bounded.
fn detail(parts: &[&str]) -> String {
    let joined = parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    joined
        .chars()
        .filter(|c| !c.is_control())
        .take(DETAIL_MAX)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DSN: &str = "From: MAILER-DAEMON@mx.example.net\r\n\
To: noreply@turnout.example\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain\r\n\
\r\n\
I'm sorry to have to inform you that your message could not be delivered.\r\n\
--b1\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.example.net\r\n\
Arrival-Date: Sun, 6 Dec 2026 17:00:00 +0000\r\n\
\r\n\
Final-Recipient: rfc822; Ana@Example.org\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 <ana@example.org>:\r\n\
\x20Recipient address rejected: User unknown\r\n\
\r\n\
Final-Recipient: rfc822; bo@example.org\r\n\
Action: delayed\r\n\
Status: 4.2.2\r\n\
\r\n\
Final-Recipient: rfc822; cy@example.org\r\n\
Action: delivered\r\n\
Status: 2.0.0\r\n\
--b1\r\n\
Content-Type: text/rfc822-headers\r\n\
\r\n\
Message-ID: <0193-abc@turnout.example>\r\n\
To: ana@example.org\r\n\
Subject: You're going\r\n\
--b1--\r\n";

    const ARF: &str = "From: feedback@isp.example\r\n\
To: abuse@turnout.example\r\n\
Subject: FW: Film night\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=feedback-report; boundary=\"b2\"\r\n\
\r\n\
--b2\r\n\
Content-Type: text/plain\r\n\
\r\n\
This is an email abuse report.\r\n\
--b2\r\n\
Content-Type: message/feedback-report\r\n\
\r\n\
Feedback-Type: abuse\r\n\
User-Agent: SomeGenerator/1.0\r\n\
Version: 1\r\n\
\r\n\
--b2\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
From: Turnout <noreply@turnout.example>\r\n\
To: Dee <Dee@Example.org>\r\n\
Message-ID: <0193-def@turnout.example>\r\n\
Subject: Film night\r\n\
\r\n\
See you there.\r\n\
--b2--\r\n";

    #[test]
    fn a_dsn_names_each_recipient_that_failed_or_waits() {
        let reports = read(DSN.as_bytes()).expect("a report");
        assert_eq!(reports.len(), 2, "{reports:?}");
        assert_eq!(reports[0].address.as_deref(), Some("ana@example.org"));
        assert_eq!(reports[0].verdict, Verdict::Permanent);
        assert_eq!(
            reports[0].message_id.as_deref(),
            Some("0193-abc@turnout.example")
        );
        assert_eq!(
            reports[0].detail,
            "5.1.1 smtp; 550 5.1.1 <ana@example.org>: Recipient address rejected: User unknown"
        );
        assert_eq!(reports[1].address.as_deref(), Some("bo@example.org"));
        assert_eq!(reports[1].verdict, Verdict::Temporary);
    }

    #[test]
    fn an_abuse_report_names_the_original_recipient() {
        let reports = read(ARF.as_bytes()).expect("a report");
        assert_eq!(
            reports,
            [Report {
                address: Some("dee@example.org".into()),
                message_id: Some("0193-def@turnout.example".into()),
                verdict: Verdict::Complaint,
                detail: "abuse".into(),
            }]
        );
        let named = ARF.replace(
            "Version: 1\r\n",
            "Version: 1\r\nOriginal-Rcpt-To: <eve@example.org>\r\n",
        );
        assert_eq!(
            read(named.as_bytes()).expect("a report")[0]
                .address
                .as_deref(),
            Some("eve@example.org")
        );
    }

    #[test]
    fn a_report_part_posted_alone_is_read() {
        let fields = "Reporting-MTA: dns; mx.example.net\r\n\r\n\
Final-Recipient: rfc822;ana@example.org\r\nAction: failed\r\nStatus: 5.0.0\r\n";
        let reports = read(fields.as_bytes()).expect("a report");
        assert_eq!(reports[0].address.as_deref(), Some("ana@example.org"));
        assert_eq!(reports[0].verdict, Verdict::Permanent);
        assert_eq!(reports[0].message_id, None);

        let arf = "Feedback-Type: abuse\r\nVersion: 1\r\nOriginal-Rcpt-To: ana@example.org\r\n";
        assert_eq!(
            read(arf.as_bytes()).expect("a report")[0].verdict,
            Verdict::Complaint
        );
    }

    #[test]
    fn anything_else_is_not_a_report() {
        assert_eq!(
            read(b"Subject: hello\r\n\r\nJust a letter.\r\n"),
            Err(FeedbackError::NotAReport)
        );
        assert!(read(b"").is_err());
        assert!(read(&[0xff, 0xfe, 0x00]).is_err());
    }

    #[test]
    fn a_recipient_field_gives_its_address_or_nothing() {
        assert_eq!(address_of("rfc822; <A@B.org>").as_deref(), Some("a@b.org"));
        assert_eq!(address_of("a@b.org").as_deref(), Some("a@b.org"));
        assert_eq!(address_of("rfc822; nobody"), None);
        assert_eq!(address_of("rfc822; a b@c.org"), None);
    }
}
