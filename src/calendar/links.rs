//! "Add to calendar" links: the event's `.ics`, a `webcal://` subscription to its
//! organisation's feed, and a Google Calendar template.

use chrono::Duration;

use super::text::plain_from_markdown;
use entity::event;

pub struct CalendarLinks {
    pub ics: String,
    pub webcal: String,
    pub google: String,
}

pub fn for_event(e: &event::Model, organisation_slug: &str, public_url: &str) -> CalendarLinks {
    let feed = format!("{public_url}/organisations/{organisation_slug}/calendar.ics");
    // Calendar apps open webcal:// as a subscription; the scheme replaces http(s).
    let webcal = match feed.split_once("://") {
        Some((_, rest)) => format!("webcal://{rest}"),
        None => feed,
    };
    CalendarLinks {
        ics: format!("{public_url}/events/{}.ics", e.slug),
        webcal,
        google: google(e, public_url),
    }
}

/// Google's template link: times in UTC, or dates with an exclusive end.
fn google(e: &event::Model, public_url: &str) -> String {
    let dates = if e.all_day {
        let first = e.starts_at.replace('-', "");
        let after = chrono::NaiveDate::parse_from_str(&e.ends_at, "%Y-%m-%d")
            .map(|d| (d + Duration::days(1)).format("%Y%m%d").to_string())
            .unwrap_or_default();
        format!("{first}/{after}")
    } else {
        let fmt = "%Y%m%dT%H%M%SZ";
        format!(
            "{}/{}",
            e.starts_at_utc.format(fmt),
            e.ends_at_utc.format(fmt)
        )
    };
    let page = format!("{public_url}/events/{}", e.slug);
    let mut details = if e.summary.is_empty() {
        plain_from_markdown(&e.description)
    } else {
        e.summary.clone()
    };
    details.truncate(
        details
            .char_indices()
            .nth(500)
            .map_or(details.len(), |(i, _)| i),
    );
    let details = format!("{details}\n\n{page}").trim().to_owned();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("action", "TEMPLATE")
        .append_pair("text", &e.title)
        .append_pair("dates", &dates)
        .append_pair("ctz", e.timezone.name())
        .append_pair("details", &details);
    if let Some(location) = e.place().line().or_else(|| e.online_url.clone()) {
        query.append_pair("location", &location);
    }
    format!(
        "https://calendar.google.com/calendar/render?{}",
        query.finish()
    )
}
