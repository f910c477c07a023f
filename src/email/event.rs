//! What event emails say about their event: the template context and the calendar
//! attachment, both from the event as it is when the email is queued.

use serde_json::{Value, json};

use super::{Site, render::when};
use crate::calendar::render::{CalendarEvent, Method};
use crate::domain::Locale;
use entity::event;

/// An event seen by the emails about it.
#[derive(Debug, Clone)]
pub struct EventMail<'a> {
    pub event: &'a event::Model,
    pub organisation_name: &'a str,
    pub site: &'a Site,
}

impl EventMail<'_> {
    /// The supporter's language, else the event's, else English.
    pub fn locale(&self, supporter: Option<Locale>) -> Locale {
        Locale::choose(supporter, &self.event.language)
    }

    /// The `event` object every event template reads.
    pub fn context(&self, locale: Locale) -> Value {
        let e = self.event;
        let url = format!("{}/events/{}", self.site.public_url, e.slug);
        json!({
            "title": e.title,
            "summary": e.summary,
            "when": self.when(locale),
            "where": where_text(e),
            "online_url": e.online_url.clone().unwrap_or_default(),
            "ics_url": format!("{url}.ics"),
            "url": url,
            "organisation": self.organisation_name,
        })
    }

    /// The event's times in its own zone, in the reader's language.
    pub fn when(&self, locale: Locale) -> String {
        let e = self.event;
        e.times()
            .map(|times| when(&times, locale))
            .unwrap_or_default()
    }

    /// The event as an iCalendar object, with the UID and SEQUENCE of the feeds.
    pub fn calendar(&self, method: Method) -> Option<String> {
        let entry = CalendarEvent::of(
            self.event.clone(),
            self.organisation_name.to_owned(),
            &self.site.public_url,
            &self.site.mail_from_address,
        )?;
        Some(crate::calendar::render::event_object(&entry, method))
    }
}

/// The place in one line (see `Place::line`); empty for an online-only event.
pub fn where_text(e: &event::Model) -> String {
    e.place().line().unwrap_or_default()
}
