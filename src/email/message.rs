//! An outbox row made into a MIME message: plain text and HTML, the calendar
//! attachment, and the one-click unsubscribe headers of RFC 8058.

use lettre::{
    Message,
    message::{
        Attachment, Mailbox, MultiPart,
        header::{ContentType, Header, HeaderName, HeaderValue},
    },
};

use super::render::Rendered;
use crate::calendar::render::Method;
use entity::outbox_email;

/// A header lettre does not know that holds one text: its name, how the text is
/// written in it, and how it is read back.
macro_rules! text_header {
    ($(#[$doc:meta])* $header:ident, $name:literal, write: $write:expr, read: $read:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        struct $header(String);

        impl Header for $header {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($name)
            }

            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok(Self($read(s)))
            }

            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), $write(self.0.as_str()))
            }
        }
    };
}

text_header!(
    /// `List-Unsubscribe: <https://…>` (RFC 2369).
    ListUnsubscribe,
    "List-Unsubscribe",
    write: |url: &str| format!("<{url}>"),
    read: |s: &str| s.trim_matches(['<', '>']).to_owned()
);

text_header!(
    /// `List-Id: "Name" <label.domain>` (RFC 2919): what mail clients and filters
    /// know an organisation's mailings by.
    ListId,
    "List-Id",
    write: str::to_owned,
    read: str::to_owned
);

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// What a mailing's email carries besides: the list it belongs to and where
/// replies go.
#[derive(Debug, Clone, Default)]
pub struct ListHeaders {
    /// The organisation's name and the list's identifier (`slug.domain`).
    pub list: Option<(String, String)>,
    pub reply_to: Option<Mailbox>,
}

impl ListHeaders {
    /// `"Name" <id>`: the name in ASCII (folded, as a header phrase in RFC 2919
    /// cannot carry encoded words inside quotes), quotes and backslashes escaped.
    fn list_id(name: &str, id: &str) -> String {
        let folded = deunicode::deunicode(&one_line(name));
        let quoted: String = folded
            .chars()
            .filter(|c| c.is_ascii() && !c.is_ascii_control())
            .flat_map(|c| match c {
                '"' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        format!("\"{quoted}\" <{id}>")
    }
}

/// Why a row cannot become a message; retrying will not help.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    #[error("the recipient {0:?} is not an address")]
    Recipient(String),
    #[error(transparent)]
    Build(#[from] lettre::error::Error),
}

/// Build the message of an outbox row from its rendered templates.
pub fn build(
    row: &outbox_email::Model,
    rendered: Rendered,
    from: &Mailbox,
    list: &ListHeaders,
) -> Result<Message, MessageError> {
    let address = row
        .recipient
        .parse()
        .map_err(|_| MessageError::Recipient(row.recipient.clone()))?;
    // lettre encodes a display name (RFC 2047) but cannot write one holding line
    // breaks or other controls, so those become spaces: a name never adds a header.
    let name = one_line(&row.recipient_name);
    let name = Some(name).filter(|n| !n.is_empty());
    let mut builder = Message::builder()
        .from(from.clone())
        .to(Mailbox::new(name, address))
        .subject(rendered.subject)
        .message_id(Some(row.message_id.clone()))
        .date_now();
    if let Some(url) = &row.unsubscribe_url {
        builder = builder
            .header(ListUnsubscribe(url.clone()))
            .header(ListUnsubscribePost);
    }
    if let Some((name, id)) = &list.list {
        builder = builder.header(ListId(ListHeaders::list_id(name, id)));
    }
    if let Some(reply_to) = &list.reply_to {
        builder = builder.reply_to(reply_to.clone());
    }
    let body = MultiPart::alternative_plain_html(rendered.text, rendered.html);
    let message = match &row.attachment_ics {
        Some(ics) => {
            let method = if ics.contains("\r\nMETHOD:CANCEL\r\n") {
                Method::Cancel
            } else {
                Method::Publish
            };
            let content_type = ContentType::parse(&format!(
                "text/calendar; charset=utf-8; method={}",
                match method {
                    Method::Publish => "PUBLISH",
                    Method::Cancel => "CANCEL",
                }
            ))
            .unwrap_or(ContentType::TEXT_PLAIN);
            let attachment =
                Attachment::new("event.ics".to_owned()).body(ics.clone(), content_type);
            builder.multipart(MultiPart::mixed().multipart(body).singlepart(attachment))?
        }
        None => builder.multipart(body)?,
    };
    Ok(message)
}

/// Text for a header: control characters (CR and LF above all) become spaces, and
/// runs of whitespace one space.
pub fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_id_names_the_organisation_in_quoted_ascii() {
        assert_eq!(
            ListHeaders::list_id("Círculo \"Louis\" Riel\r\nBcc: x", "circulo.example.org"),
            "\"Circulo \\\"Louis\\\" Riel Bcc: x\" <circulo.example.org>"
        );
    }

    #[test]
    fn line_breaks_in_a_name_become_spaces() {
        assert_eq!(
            one_line("Ana\r\nBcc: evil@example.org"),
            "Ana Bcc: evil@example.org"
        );
        assert_eq!(one_line("  Ana\u{0}  Pérez\t"), "Ana Pérez");
    }
}
