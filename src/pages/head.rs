//! What a shared link previews with (Open Graph and Twitter cards) and what search
//! engines read of an event (schema.org `Event` as JSON-LD).

use serde::Serialize;
use serde_json::{Value, json};

use crate::events::service::EventStatus;
use entity::event;

/// The preview of a page: `og:*` and `twitter:*` tags and the canonical link.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub title: String,
    pub description: String,
    pub url: String,
    /// `website`, `article` or `event`.
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl Meta {
    /// `description` is Markdown; when it has no words, `fallback` (plain) is used.
    pub fn new(
        title: &str,
        description: &str,
        fallback: &str,
        url: &str,
        kind: &'static str,
    ) -> Self {
        let description = Some(preview_text(description))
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| fallback.to_owned());
        Self {
            title: title.to_owned(),
            description,
            url: url.to_owned(),
            kind,
        }
    }
}

/// Markdown or plain text cut to what a preview shows, on a word boundary: only
/// the words, never a link's target (which the page's sanitiser may have dropped).
pub fn preview_text(text: &str) -> String {
    use pulldown_cmark::{Event, Parser, TagEnd};
    const MAX: usize = 200;
    let words: String = Parser::new(text)
        .filter_map(|event| match event {
            Event::Text(t) | Event::Code(t) => Some(t.to_string()),
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock
                | TagEnd::TableCell,
            ) => Some(" ".to_owned()),
            _ => None,
        })
        .collect();
    let plain = words.split_whitespace().collect::<Vec<_>>().join(" ");
    if plain.chars().count() <= MAX {
        return plain;
    }
    let cut: String = plain.chars().take(MAX).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

/// JSON for a `<script type="application/ld+json">` element: `<`, `>` and `&` are
/// written as escapes, so no text in it can close the element.
pub fn script_json(value: &Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// An event as schema.org describes one, with its times in its own zone's offset.
pub fn event_json_ld(
    event: &event::Model,
    url: &str,
    organisation_name: &str,
    site_url: &str,
) -> Value {
    let times = event.times().ok();
    let instant = |utc: chrono::DateTime<chrono::Utc>| {
        times.map_or_else(String::new, |t| {
            utc.with_timezone(&t.zone().tz())
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
        })
    };
    let (start, end) = match times {
        Some(t) if t.all_day() => (event.starts_at.clone(), event.ends_at.clone()),
        Some(t) => (instant(t.starts_utc()), instant(t.ends_utc())),
        None => (
            crate::http::instant(event.starts_at_utc),
            crate::http::instant(event.ends_at_utc),
        ),
    };
    let l = event.place();
    let place = (!l.is_empty()).then(|| {
        json!({
            "@type": "Place",
            "name": l.venue.clone().or_else(|| l.locality.clone()).unwrap_or_default(),
            "address": {
                "@type": "PostalAddress",
                "streetAddress": l.address,
                "addressLocality": l.locality,
                "addressRegion": l.region,
                "postalCode": l.postal_code,
                "addressCountry": l.country.as_ref().map(ToString::to_string),
            },
        })
    });
    let online = event
        .online_url
        .as_ref()
        .map(|url| json!({ "@type": "VirtualLocation", "url": url }));
    let (mode, location) = match (place, online) {
        (Some(place), Some(online)) => ("MixedEventAttendanceMode", json!([place, online])),
        (None, Some(online)) => ("OnlineEventAttendanceMode", online),
        (Some(place), None) => ("OfflineEventAttendanceMode", place),
        (None, None) => ("OfflineEventAttendanceMode", Value::Null),
    };
    let status = if event.status == EventStatus::Cancelled {
        "EventCancelled"
    } else {
        "EventScheduled"
    };
    let mut ld = json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "description": preview_text(if event.summary.is_empty() { &event.description } else { &event.summary }),
        "startDate": start,
        "endDate": end,
        "eventStatus": format!("https://schema.org/{status}"),
        "eventAttendanceMode": format!("https://schema.org/{mode}"),
        "url": url,
        "inLanguage": event.language.to_string(),
        "organizer": { "@type": "Organization", "name": organisation_name, "url": site_url },
    });
    if !location.is_null()
        && let Some(object) = ld.as_object_mut()
    {
        object.insert("location".into(), location);
    }
    ld
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_in_json_ld_can_close_its_script_element() {
        let text = script_json(&json!({ "name": "</script><script>alert(1)</script> & co" }));
        assert!(
            !text.contains('<') && !text.contains('>') && !text.contains('&'),
            "{text}"
        );
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["name"], "</script><script>alert(1)</script> & co");
    }

    #[test]
    fn previews_keep_words_and_drop_link_targets() {
        let preview = preview_text("Read [this](javascript:alert(1)) and <b>that</b>.");
        assert_eq!(preview, "Read this and that.");
    }

    #[test]
    fn previews_are_plain_and_short() {
        let long = "**Word** ".repeat(100);
        let preview = preview_text(&long);
        assert!(
            preview.chars().count() <= 201 && preview.ends_with('…'),
            "{preview}"
        );
        assert!(!preview.contains('*'));
    }
}
