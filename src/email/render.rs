//! Rendering an email from its templates: one function gives the subject, the plain
//! text and the HTML, in English, Spanish or French. The templates (one per email
//! and format, for every language) and the words (`crate::words`) are compiled into
//! the binary, so a deployment cannot lose them.

use chrono::{DateTime, Utc};
use minijinja::Environment;
use serde::Serialize;

use crate::domain::{Currency, EventTimes, Locale, Money, Schedule};
use crate::words::{Words, group_digits};

/// The emails Turnout sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    RsvpGoing,
    RsvpWaitlisted,
    RsvpPending,
    RsvpApproved,
    RsvpDeclined,
    RsvpPromoted,
    EventReminder,
    EventChanged,
    EventCancelled,
    OrganiserInvitation,
    OrganiserAdded,
    PasswordReset,
    RsvpLink,
    PetitionConfirm,
    PetitionThanks,
    DonationReceipt,
    ApplicationReceived,
    ApplicationsDigest,
    SubscriptionConfirm,
    /// One email of an organisation's mailing.
    Mailing,
}

impl Template {
    pub const ALL: [Self; 20] = [
        Self::RsvpGoing,
        Self::RsvpWaitlisted,
        Self::RsvpPending,
        Self::RsvpApproved,
        Self::RsvpDeclined,
        Self::RsvpPromoted,
        Self::EventReminder,
        Self::EventChanged,
        Self::EventCancelled,
        Self::OrganiserInvitation,
        Self::OrganiserAdded,
        Self::PasswordReset,
        Self::RsvpLink,
        Self::PetitionConfirm,
        Self::PetitionThanks,
        Self::DonationReceipt,
        Self::ApplicationReceived,
        Self::ApplicationsDigest,
        Self::SubscriptionConfirm,
        Self::Mailing,
    ];

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::RsvpGoing => "rsvp_going",
            Self::RsvpWaitlisted => "rsvp_waitlisted",
            Self::RsvpPending => "rsvp_pending",
            Self::RsvpApproved => "rsvp_approved",
            Self::RsvpDeclined => "rsvp_declined",
            Self::RsvpPromoted => "rsvp_promoted",
            Self::EventReminder => "event_reminder",
            Self::EventChanged => "event_changed",
            Self::EventCancelled => "event_cancelled",
            Self::OrganiserInvitation => "organiser_invitation",
            Self::OrganiserAdded => "organiser_added",
            Self::PasswordReset => "password_reset",
            Self::RsvpLink => "rsvp_link",
            Self::PetitionConfirm => "petition_confirm",
            Self::PetitionThanks => "petition_thanks",
            Self::DonationReceipt => "donation_receipt",
            Self::ApplicationReceived => "application_received",
            Self::ApplicationsDigest => "applications_digest",
            Self::SubscriptionConfirm => "subscription_confirm",
            Self::Mailing => "mailing",
        }
    }
}

/// A rendered email.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// One line: header injection is impossible by construction.
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
#[error("email template {template} ({locale}): {source}")]
pub struct RenderError {
    template: &'static str,
    locale: Locale,
    #[source]
    source: minijinja::Error,
}

/// The compiled templates.
pub struct Renderer {
    env: Environment<'static>,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

impl Renderer {
    // The macro expects every embedded template to parse; the unit tests render each
    // one, so a broken template fails the suite, not a server.
    #[allow(
        clippy::expect_used,
        reason = "in minijinja_embed's expansion, checked by tests"
    )]
    pub fn new() -> Self {
        let mut env = Environment::new();
        minijinja_embed::load_templates!(&mut env);
        Words::get().install(&mut env);
        Self { env }
    }

    /// Render `template` in `locale` with `context` (any serialisable value).
    pub fn render(
        &self,
        template: Template,
        locale: Locale,
        context: &impl Serialize,
    ) -> Result<Rendered, RenderError> {
        let context = minijinja::context! {
            locale => locale.as_str(),
            ..minijinja::Value::from_serialize(context)
        };
        let failed = |source| RenderError {
            template: template.name(),
            locale,
            source,
        };
        let part = |kind: &str| {
            let name = format!("email/{}.{kind}.j2", template.name());
            self.env
                .get_template(&name)
                .and_then(|t| t.render(&context))
                .map_err(failed)
        };
        let subject = Words::get()
            .text_in(
                locale,
                &format!("email.{}.subject", template.name()),
                &context,
            )
            .map_err(failed)?;
        // Whatever a title holds, the subject stays one header line.
        // (Non-breaking spaces, as French puts before a colon, stay.)
        let subject = subject
            .split(|c: char| c.is_ascii_whitespace() || c.is_control())
            .filter(|word| !word.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Rendered {
            subject,
            text: part("txt")?,
            html: part("html")?,
        })
    }
}

impl Renderer {
    /// Render a page template (`pages/{name}.html.j2`).
    pub fn page(&self, name: &str, context: &impl Serialize) -> Result<String, minijinja::Error> {
        self.env
            .get_template(&format!("pages/{name}.html.j2"))?
            .render(context)
    }
}

/// When an event happens, in its own zone with the zone's abbreviation, in the
/// reader's language: "Thursday 3 December 2026, 19:00–21:30 EST".
pub fn when(times: &EventTimes, locale: Locale) -> String {
    let chrono_locale = match locale {
        Locale::En => chrono::Locale::en_GB,
        Locale::Es => chrono::Locale::es_ES,
        Locale::Fr => chrono::Locale::fr_FR,
    };
    let day_format = match locale {
        Locale::En => "%A %-d %B %Y",
        Locale::Es => "%A %-d de %B de %Y",
        Locale::Fr => "%A %-d %B %Y",
    };
    match times.schedule() {
        Schedule::AllDay { first, last } => {
            let first = first
                .format_localized(day_format, chrono_locale)
                .to_string();
            if times.starts_utc() + chrono::Duration::days(1) >= times.ends_utc() {
                first
            } else {
                format!(
                    "{first} – {}",
                    last.format_localized(day_format, chrono_locale)
                )
            }
        }
        Schedule::Timed { .. } => {
            let tz = times.zone().tz();
            let start = times.starts_utc().with_timezone(&tz);
            let end = times.ends_utc().with_timezone(&tz);
            let day = start.format_localized(day_format, chrono_locale);
            let end_text = if start.date_naive() == end.date_naive() {
                end.format("%H:%M").to_string()
            } else {
                format!(
                    "{} {}",
                    end.format_localized(day_format, chrono_locale),
                    end.format("%H:%M")
                )
            };
            format!(
                "{day}, {}–{end_text} {}",
                start.format("%H:%M"),
                abbreviation(times.starts_utc(), tz)
            )
        }
    }
}

/// An amount as the reader writes numbers, with the currency's code, which no
/// reader can mistake (a bare "$" could be any of a dozen dollars):
/// "1,234.50 GBP", "1.234,50 GBP", "1 234,50 GBP".
pub fn money_text(money: Money, locale: Locale) -> String {
    amount_text(money.minor(), money.currency(), locale)
}

/// As [`money_text`], for any number of minor units (a total of zero too).
pub fn amount_text(minor: i64, currency: Currency, locale: Locale) -> String {
    let decimal = crate::domain::decimal_text(minor, currency);
    let (whole, fraction) = decimal.split_once('.').unwrap_or((&decimal, ""));
    let (group, point) = match locale {
        Locale::En => (",", "."),
        Locale::Es => (".", ","),
        // French groups thousands with a narrow no-break space.
        Locale::Fr => ("\u{202f}", ","),
    };
    let grouped = group_digits(whole, group);
    if fraction.is_empty() {
        format!("{grouped} {currency}")
    } else {
        format!("{grouped}{point}{fraction} {currency}")
    }
}

/// A day as the reader writes it: "23 November 2026", "23 de noviembre de 2026".
pub fn date_text(at: DateTime<Utc>, locale: Locale) -> String {
    let (format, chrono_locale) = match locale {
        Locale::En => ("%-d %B %Y", chrono::Locale::en_GB),
        Locale::Es => ("%-d de %B de %Y", chrono::Locale::es_ES),
        Locale::Fr => ("%-d %B %Y", chrono::Locale::fr_FR),
    };
    at.format_localized(format, chrono_locale).to_string()
}

/// The zone's abbreviation at an instant ("EST", "GMT"); zones without one get
/// their offset ("UTC-04" for Caracas).
fn abbreviation(at: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    let name = at.with_timezone(&tz).format("%Z").to_string();
    if name.starts_with(['+', '-']) {
        format!("UTC{name}")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TimeZone;
    use entity::values::{DonationMethod, EventKind, Role, RsvpStatus};
    use serde_json::json;

    fn toronto_evening() -> EventTimes {
        EventTimes::parse(
            "2026-12-03T19:00",
            "2026-12-03T21:30",
            false,
            TimeZone::parse("America/Toronto").unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn times_read_in_the_events_zone_with_its_abbreviation() {
        assert_eq!(
            when(&toronto_evening(), Locale::En),
            "Thursday 3 December 2026, 19:00–21:30 EST"
        );
        assert_eq!(
            when(&toronto_evening(), Locale::Es),
            "jueves 3 de diciembre de 2026, 19:00–21:30 EST"
        );
        assert_eq!(
            when(&toronto_evening(), Locale::Fr),
            "jeudi 3 décembre 2026, 19:00–21:30 EST"
        );
        let caracas = EventTimes::parse(
            "2026-12-05T18:00",
            "2026-12-05T20:00",
            false,
            TimeZone::parse("America/Caracas").unwrap(),
        )
        .unwrap();
        assert_eq!(
            when(&caracas, Locale::Es),
            "sábado 5 de diciembre de 2026, 18:00–20:00 UTC-04"
        );
    }

    #[test]
    fn amounts_read_as_each_language_writes_numbers() {
        let gbp = crate::domain::Currency::parse("GBP").unwrap();
        let money = Money::new(123_450, gbp).unwrap();
        assert_eq!(money_text(money, Locale::En), "1,234.50 GBP");
        assert_eq!(money_text(money, Locale::Es), "1.234,50 GBP");
        assert_eq!(money_text(money, Locale::Fr), "1\u{202f}234,50 GBP");
        let jpy = crate::domain::Currency::parse("JPY").unwrap();
        assert_eq!(
            money_text(Money::new(1_000_000, jpy).unwrap(), Locale::En),
            "1,000,000 JPY"
        );
        assert_eq!(
            money_text(Money::new(2500, gbp).unwrap(), Locale::Es),
            "25,00 GBP"
        );
        assert_eq!(amount_text(-123_450, gbp, Locale::En), "-1,234.50 GBP");
    }

    #[test]
    fn every_template_renders_in_every_language() {
        let renderer = Renderer::new();
        let context = json!({
            "recipient_name": "Ana <Pérez> & co",
            "event": {
                "title": "Film night\r\nBcc: someone@example.org",
                "summary": "Occupied factories",
                "when": when(&toronto_evening(), Locale::En),
                "where": "OISE, Toronto",
                "online_url": "",
                "url": "https://turnout.example/events/film-night",
                "ics_url": "https://turnout.example/events/film-night.ics",
                "organisation": "Louis Riel Bolivarian Circle",
            },
            "rsvp": { "guests": 2, "manage_url": "https://turnout.example/rsvps/abc" },
            "feed_url": "https://turnout.example/feeds/xyz/calendar.ics",
            "reason": "The hall flooded.",
            "previous_when": "Wednesday",
            "previous_where": "",
            "unsubscribe_url": "https://turnout.example/unsubscribe/t",
            "organisation_name": "Hands Off Venezuela",
            "subject": "We handed in 3,214 signatures\r\nBcc: x@y",
            "body_text": "We **did** it.",
            "body_html": "<p>We <strong>did</strong> it.</p>",
            "test": true,
            "role_label": "organiser",
            "invitation_url": "https://turnout.example/invitations/i",
            "inviter": "Ben <Boss>",
            "sign_in_url": "https://turnout.example/admin/login",
            "reset_url": "https://turnout.example/admin/password-reset/r",
            "petition": {
                "title": "Stop the deportations\r\nBcc: x@y",
                "target": "the Mexican Secretariat of the Interior",
                "url": "https://turnout.example/petitions/stop-the-deportations",
                "organisation": "Louis Riel Bolivarian Circle",
                "signature_count": 1234,
                "goal": 5000,
            },
            "confirm_url": "https://turnout.example/confirm/abc",
            "fundraiser": {
                "title": "Fighting fund\r\nBcc: x@y",
                "url": "https://turnout.example/fundraisers/fighting-fund",
                "organisation": "Hands Off Venezuela",
            },
            "applicant": { "name": "Rosa <Pérez>\r\nBcc: x@y", "guests": 2 },
            "attendees_url": "https://turnout.example/admin/circle/events/e/attendees",
            "count": 2,
            "events": [{
                "title": "Film night",
                "when": "Thursday",
                "attendees_url": "https://turnout.example/admin/circle/events/e/attendees",
                "applications": [
                    { "name": "Rosa <Pérez>", "guests": 0 },
                    { "name": "Luis", "guests": 1 },
                ],
            }],
            "donation": {
                "amount": "25.00 GBP",
                "date": "23 November 2026",
                "method": "online",
                "monthly": true,
                "renewal": false,
                "reference": "0193a0b2-0000-7000-8000-000000000000",
                "message": "Solidarity ‹from <Pérez>\nand all of us",
            },
        });
        for locale in Locale::ALL {
            for template in Template::ALL {
                let email = renderer.render(template, locale, &context).unwrap();
                assert!(
                    !email.subject.is_empty() && !email.subject.contains(['\r', '\n']),
                    "{template:?} {locale}"
                );
                assert!(
                    !email.text.is_empty() && email.html.contains("<html"),
                    "{template:?} {locale}"
                );
                assert!(
                    !email.html.contains("<Pérez>"),
                    "HTML escapes names: {template:?} {locale}"
                );
            }
        }
        let going = renderer
            .render(Template::RsvpGoing, Locale::Fr, &context)
            .unwrap();
        assert!(going.html.contains("lang=\"fr\""), "{}", going.html);
        assert!(
            going.text.contains("https://turnout.example/rsvps/abc"),
            "{}",
            going.text
        );
        let digest = renderer
            .render(Template::ApplicationsDigest, Locale::Es, &context)
            .unwrap();
        assert!(
            digest.text.contains("- Luis, con 1 acompañante")
                && digest.text.contains("/admin/circle/events/e/attendees"),
            "{}",
            digest.text
        );
        let received = renderer
            .render(Template::ApplicationReceived, Locale::En, &context)
            .unwrap();
        assert!(
            received
                .subject
                .starts_with("New application: Rosa <Pérez> Bcc: x@y for"),
            "{}",
            received.subject
        );
        // Every way a donation is paid has its words.
        let mut context = context;
        for method in DonationMethod::ALL.map(DonationMethod::as_str) {
            context["donation"]["method"] = method.into();
            for locale in Locale::ALL {
                let receipt = renderer.render(Template::DonationReceipt, locale, &context);
                assert!(receipt.is_ok(), "{method} {locale}: {receipt:?}");
            }
        }
        // Every role is named in the reader's language.
        for role in Role::ALL.map(Role::as_str) {
            context["role_label"] = role.into();
            for locale in Locale::ALL {
                for template in [Template::OrganiserInvitation, Template::OrganiserAdded] {
                    let email = renderer.render(template, locale, &context);
                    assert!(email.is_ok(), "{role} {template:?} {locale}: {email:?}");
                }
            }
        }
        context["role_label"] = "viewer".into();
        let viewer = renderer
            .render(Template::OrganiserInvitation, Locale::Es, &context)
            .unwrap();
        assert!(viewer.text.contains("como observador."), "{}", viewer.text);
        context["role_label"] = "owner".into();
        let owner = renderer
            .render(Template::OrganiserAdded, Locale::En, &context)
            .unwrap();
        assert!(owner.text.contains("as owner."), "{}", owner.text);
    }

    #[test]
    fn every_word_a_template_asks_for_is_in_the_catalogue() {
        let renderer = Renderer::new();
        let keys: std::collections::BTreeSet<&str> = Words::get().keys(Locale::En).collect();
        let mut asked = 0;
        for (name, template) in renderer.env.templates() {
            let source = template.source();
            for (at, _) in source.match_indices("t(\"") {
                // `t(`, not the end of `input(`
                if source[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
                {
                    continue;
                }
                let rest = &source[at + 3..];
                let end = rest.find('"').unwrap();
                let key = &rest[..end];
                // `t("event_kind." ~ e.kind)`: some key must start with it.
                let known = if rest[end + 1..].trim_start().starts_with('~') {
                    keys.iter().any(|k| k.starts_with(key))
                } else {
                    keys.contains(key)
                };
                assert!(known, "{name} asks for `{key}`, which en.toml lacks");
                asked += 1;
            }
        }
        assert!(asked > 200, "{asked}");
    }

    #[test]
    fn every_page_renders_in_every_language() {
        let renderer = Renderer::new();
        let form = json!({
            "values": {"name": "Ana", "email": "ana@", "guests": "3", "amount": "other"},
            "errors": {"name": "This field is required.", "amount": "Choose an amount"},
            "error": "Sorry, this event is full.",
        });
        let event = |kind: &str, reason: Option<&str>, children_kind: &str| {
            json!({
                "event": {
                    "title": "Film night", "kind": kind, "when": "Thursday", "place": "OISE",
                    "online_url": "https://meet.example/x", "organisation": "Circle",
                    "cancelled": reason == Some("cancelled"), "going_count": 1234,
                    "seats_left": 1, "waitlist": true, "approval": false,
                    "rsvp_open": reason.is_none(), "rsvp_closed_reason": reason,
                    "summary": "A film", "url": "/events/film-night",
                },
                "parent": {"title": "Tour", "url": "/events/tour"},
                "children": [{"title": "Day 1", "when": "Monday", "place": "", "url": "/events/d1"}],
                "children_kind": children_kind,
                "form": form,
                "emailed": true,
                "max_guests": 20,
            })
        };
        let mut pages = vec![
            (
                "home",
                json!({
                    "events": [{"title": "A", "kind": "social", "when": "Monday", "place": "", "url": "/e", "cancelled": true}],
                    "petitions": [
                        {"title": "P", "target": "them", "url": "/p", "signature_count": 1, "goal": 5000, "percent": 0},
                        {"title": "Q", "target": "", "url": "/q", "signature_count": 1234, "goal": null, "percent": null},
                    ],
                    "fundraisers": [{"title": "F", "url": "/f", "raised": "1.00 GBP", "goal": "9.00 GBP", "percent": 11, "donor_count": 2}],
                }),
            ),
            (
                "organisation",
                json!({
                    "organisation": {"name": "Hands <Off>", "slug": "hov"},
                    "events": [], "petitions": [], "fundraisers": [],
                    "feed_url": "/organisations/hov/calendar.ics", "webcal_url": "webcal://x",
                    "joined": false, "form": form,
                }),
            ),
            (
                "organisation",
                json!({"organisation": {"name": "H", "slug": "h"}, "joined": true}),
            ),
            (
                "petition",
                json!({
                    "petition": {"title": "P", "target": "them", "signature_count": 1234, "goal": 5000,
                                 "percent": 24, "status": "open", "require_confirmation": true,
                                 "fields": {"affiliation": "required", "postal_code": "optional",
                                            "country": "required", "comment": "optional"}},
                    "signed": "pending", "form": form,
                    "signers": [{"name": "Ana", "locality": "Toronto", "country": "CA", "comment": "Yes"}],
                }),
            ),
            (
                "petition",
                json!({"petition": {"title": "P", "target": "them", "status": "delivered"}, "signed": "confirmed"}),
            ),
            (
                "fundraiser",
                json!({
                    "fundraiser": {"title": "F", "raised": "1.00 GBP", "goal": "9.00 GBP", "percent": 11,
                                   "donor_count": 1, "raised_other": ["1.00 EUR"], "status": "open",
                                   "currency": "GBP", "suggested": [{"minor": 1000, "text": "10.00 GBP"}],
                                   "min": "1.00 GBP", "max": "9.00 GBP", "organisation": "O"},
                    "payments_enabled": true, "form": form,
                    "donors": [{"name": null, "amount": "1.00 GBP", "message": "Go"}],
                }),
            ),
            (
                "confirm",
                json!({"petition_title": "P", "done": true, "signature_count": 3}),
            ),
            (
                "confirm",
                json!({"petition_title": "P", "done": true, "signature_count": 1}),
            ),
            ("confirm", json!({"petition_title": "P"})),
            (
                "donation_cancelled",
                json!({"title": "F", "fundraiser_url": "/f"}),
            ),
            ("error", json!({})),
            ("not_found", json!({})),
            ("unsubscribe", json!({"done": true})),
            ("unsubscribe", json!({"done": false})),
            ("unsubscribe", json!({"done": false, "organisation": "O"})),
            ("unsubscribe", json!({"done": true, "organisation": "O"})),
            ("subscription_confirm", json!({"organisation": "O"})),
            (
                "subscription_confirm",
                json!({"organisation": "O", "done": true}),
            ),
            ("subscription_confirm", json!({"error": "bad"})),
            ("invitation", json!({"done": true})),
            (
                "invitation",
                json!({"organisation_name": "O", "email": "a@b", "error": "bad"}),
            ),
        ];
        for kind in EventKind::ALL.map(EventKind::as_str) {
            pages.push(("event", event(kind, None, "sessions")));
        }
        for reason in ["cancelled", "ended", "closed", "full"] {
            pages.push(("event", event("other", Some(reason), "itinerary")));
        }
        pages.push(("event", event("other", None, "workshops")));
        for status in RsvpStatus::ALL.map(RsvpStatus::as_str) {
            for done in ["", "rsvp", "changed", "cancelled"] {
                pages.push(("rsvp", json!({
                    "event": {"title": "Film", "url": "/e"}, "when": "Monday", "where": "OISE",
                    "status": status, "done": done, "guests": "1", "error": "", "max_guests": 20,
                })));
            }
        }
        for status in ["succeeded", "failed", "refunded", "pending"] {
            for monthly in [true, false] {
                pages.push((
                    "donation_thanks",
                    json!({
                        "title": "F", "fundraiser_url": "/f", "amount": "1.00 GBP",
                        "status": status, "monthly": monthly, "donor_name": "Ana",
                    }),
                ));
            }
        }
        for step in ["ask", "sent", "done", "choose"] {
            pages.push((
                "admin/password_reset",
                json!({"step": step, "email": "a@b", "error": ""}),
            ));
        }
        // The console's pages, with what every one of them is given.
        let console = |mut context: serde_json::Value| {
            context["me"] = json!({"email": "ana@example.org", "name": "Ana"});
            context["organisations"] = json!([
                {"slug": "circle", "name": "Circle", "role": "owner"},
                {"slug": "other", "name": "Other", "role": "viewer"},
            ]);
            context["org"] = json!({"slug": "circle", "name": "Circle", "role": "owner",
                                    "can_write": true, "is_owner": true});
            context
        };
        let zones = json!(["America/Caracas", "UTC"]);
        let languages = json!([["en", "English"], ["es", "Español"]]);
        pages.extend([
            ("admin/login", json!({"next": "/admin/x", "email": "a@b", "error": "wrong"})),
            ("admin/sign_in_link", json!({"email": "a@b"})),
            ("admin/setup", json!({"values": {"timezone": "UTC"}, "errors": {"org_slug": "bad"}, "timezones": zones})),
            ("admin/home", console(json!({"overview": [
                {"slug": "circle", "name": "Circle", "role": "owner", "applications": 2, "failed_emails": 1, "drafts": 0},
                {"slug": "other", "name": "Other", "role": "viewer", "applications": 0, "failed_emails": 0, "drafts": 0},
            ]}))),
            ("admin/forbidden", console(json!({}))),
            ("admin/suppressed", console(json!({"count": 2, "most": 500, "lifted": true, "addresses": [
                {"address": "a@b", "reason": "bounced", "detail": "5.1.1", "since": "6 Dec"},
                {"address": "c@d", "reason": "complained", "detail": null, "since": "6 Dec"},
            ]}))),
            ("admin/suppressed", console(json!({"count": 0, "most": 500, "addresses": []}))),
            ("admin/suppressed", console(json!({"count": 3, "most": 500, "addresses": null}))),
            ("admin/attendees", console(json!({
                "event": {"id": "1", "title": "Film", "status": "published", "when": "Monday", "capacity": 40, "base": "/admin/circle/events/1"},
                "counts": {"capacity": 40, "going": {"people": 2, "guests": 1, "seats": 3},
                    "waitlisted": {"people": 1, "guests": 0, "seats": 1}, "pending_approval": {"people": 1, "guests": 2, "seats": 3},
                    "declined": {"people": 0, "guests": 0, "seats": 0}, "cancelled": {"people": 0, "guests": 0, "seats": 0},
                    "arrived": 2, "expected": 3},
                "groups": [
                    {"status": "going", "rows": [{"id": "r1", "name": "Ana", "email": "ana@b", "guests": 1, "status": "going",
                        "checked_in": true, "checked_in_at": "2038-01-01T00:00:00Z", "answered": "1 January"}]},
                    {"status": "pending_approval", "rows": [{"id": "r2", "name": "Bo", "email": "bo@b", "guests": 0,
                        "status": "pending_approval", "checked_in": false, "checked_in_at": null, "answered": "1 January"}]},
                    {"status": "declined", "rows": []}],
                "statuses": ["going", "pending_approval", "waitlisted", "declined", "cancelled"],
                "notice": "Approved.", "values": {"name": "Cy"}, "errors": {"_form": "full", "_add": "full", "email": "bad"},
                "max_guests": 20}))),
            ("admin/attendees", console(json!({
                "event": {"id": "1", "title": "Film", "status": "published", "when": "", "capacity": null, "base": "/admin/circle/events/1"},
                "counts": {"capacity": null, "going": {"people": 0, "guests": 0, "seats": 0},
                    "waitlisted": {"people": 0, "guests": 0, "seats": 0}, "pending_approval": {"people": 0, "guests": 0, "seats": 0},
                    "declined": {"people": 0, "guests": 0, "seats": 0}, "cancelled": {"people": 0, "guests": 0, "seats": 0},
                    "arrived": 0, "expected": 0},
                "groups": null, "statuses": [], "notice": null, "values": {}, "errors": {}, "max_guests": 20}))),
            ("admin/door", console(json!({
                "event": {"id": "1", "title": "Film", "status": "published", "when": "Monday", "capacity": 40, "base": "/admin/circle/events/1"},
                "counts": {"capacity": 40, "arrived": 1, "expected": 3},
                "q": "an", "most": 1, "notice": "Checked in.",
                "found": [{"id": "r1", "name": "Ana", "email": "ana@b", "guests": 1, "status": "going", "checked_in": true},
                          {"id": "r2", "name": "Anton", "email": "an@b", "guests": 0, "status": "going", "checked_in": false}],
                "values": {"name": "Cy"}, "errors": {"_form": "no", "_walk_in": "full", "name": "required"}}))),
            ("admin/door", console(json!({
                "event": {"id": "1", "title": "Film", "status": "published", "when": "", "capacity": null, "base": "/admin/circle/events/1"},
                "counts": {"capacity": null, "arrived": 0, "expected": 0},
                "q": "zz", "most": 50, "notice": null, "found": [], "values": {}, "errors": {}}))),
            ("admin/door", console(json!({
                "event": {"id": "1", "title": "Film", "status": "published", "when": "", "capacity": null, "base": "/admin/circle/events/1"},
                "counts": {"capacity": null, "arrived": 0, "expected": 0},
                "q": "", "most": 50, "notice": null, "found": null, "values": {}, "errors": {}}))),
            ("admin/settings", console(json!({"values": {"name": "Circle", "timezone": "UTC", "language": "en",
                "contact_email": "", "application_notices": "each"}, "errors": {"name": "bad"},
                "saved": true, "timezones": zones, "languages": languages}))),
            ("admin/members", console(json!({"members": [
                {"id": "1", "email": "a@b", "name": null, "role": "owner", "active": false, "me": true}],
                "roles": ["owner", "organiser", "viewer"], "roles_choice": [["owner", "owner"]],
                "values": {}, "errors": {}, "refusal": "last owner", "invited": true}))),
            ("admin/events", console(json!({"events": [
                {"id": "1", "title": "Film", "kind": "screening", "status": "published", "when": "Monday",
                 "going": 3, "capacity": 40, "waitlisted": 2, "parent": null}],
                "shown": "upcoming", "kind": "", "campaign": "", "kinds": [["screening", "Screening"]],
                "campaigns": [["c", "C"]]}))),
            ("admin/events", console(json!({"events": [], "shown": "past", "kind": "", "campaign": "",
                "kinds": [], "campaigns": []}))),
            ("admin/event_new", console(json!({"values": {"kind": "workshop", "parent_id": "p", "parent_title": "Forum",
                "timezone": "UTC", "all_day": "yes"}, "errors": {"title": "bad"}, "kinds": [["workshop", "Workshop"]],
                "campaigns": [], "timezones": zones, "languages": languages, "rsvp_modes": [["open", "Open"]],
                "visibilities": [["public", "Public"]]}))),
            ("admin/event", console(json!({"values": {"kind": "delegation", "timezone": "UTC", "all_day": false,
                "location.venue": "Hall"}, "errors": {"_done": "Saved.", "_form": "no"},
                "kinds": [], "campaigns": [["c", "C"]], "timezones": zones, "languages": languages,
                "rsvp_modes": [], "visibilities": [],
                "event": {"id": "1", "title": "Tour", "status": "published", "kind": "delegation", "sequence": 1,
                    "going": 2, "waitlisted": 0, "capacity": null, "cancel_reason": "rain", "url": "/events/t",
                    "ics_url": "/events/t.ics", "webcal_url": "webcal://x", "google_url": "https://g",
                    "feed_url": "/f", "campaign_feed_url": null, "when": "Monday", "place": "Hall",
                    "takes_children": true, "parent": "p", "children": [{"id": "2", "title": "Day 1",
                    "kind": "delegation", "status": "draft", "when": "Tuesday", "going": 0, "capacity": null,
                    "waitlisted": 0, "parent": "1"}]}}))),
            ("admin/account", console(json!({"tokens": [
                {"id": "1", "name": null, "created_at": "2026-12-06T10:00:00Z", "last_used_at": null}],
                "new_token": "tok_x", "password_changed": true, "errors": {}, "chosen_language": null,
                "language_choice": languages}))),
            // Campaigns, petitions and signatures (issue 18).
            ("admin/campaigns", console(json!({"active": [{"id": "1", "slug": "s", "title": "S", "status": "active"}],
                "archived": []}))),
            ("admin/campaign_new", console(json!({"values": {"title": "S"}, "errors": {"slug": "taken"}}))),
            ("admin/campaign", console(json!({"campaign": {"id": "1", "slug": "s", "title": "S", "status": "archived",
                "feed_url": "/campaigns/s/calendar.ics"},
                "events": [{"id": "2", "title": "Film", "status": "published", "when": "Monday", "going": 3, "capacity": 40}],
                "petitions": [{"id": "3", "title": "P", "status": "open", "signature_count": 5, "goal": 100}],
                "fundraisers": [{"id": "4", "title": "F", "status": "open", "raised": "£5.00", "goal": "£100.00"}],
                "values": {"title": "S"}, "errors": {"_done": "Saved."}}))),
            ("admin/campaign", console(json!({"campaign": {"id": "1", "slug": "s", "title": "S", "status": "active",
                "feed_url": "/f"}, "events": [], "petitions": [], "fundraisers": [], "values": {}, "errors": {"title": "bad"}}))),
            ("admin/petitions", console(json!({"petitions": [{"id": "1", "title": "P", "status": "delivered",
                "signature_count": 5, "goal": null, "campaign": "s"}], "status": "", "campaign": "",
                "statuses": [["open", "Open"]], "campaigns": [["s", "S"]]}))),
            ("admin/petitions", console(json!({"petitions": [], "status": "open", "campaign": "", "statuses": [], "campaigns": []}))),
            ("admin/petition_new", console(json!({"values": {"fields.comment": "off"}, "errors": {"title": "bad"},
                "campaigns": [], "languages": languages, "rules": [["off", "Off"]], "asked": ["comment"],
                "timezone": "UTC", "preview_html": "<p>Hi</p>"}))),
            ("admin/petition", console(json!({"values": {"title": "P", "require_confirmation": "yes"},
                "errors": {"_done": "Saved.", "_form": "no", "_deliver": true, "note": "long"},
                "campaigns": [["s", "S"]], "languages": languages, "rules": [["off", "Off"]], "asked": ["comment"],
                "timezone": "UTC", "preview_html": null,
                "petition": {"id": "1", "title": "P", "status": "open", "signature_count": 5, "goal": 10,
                    "url": "/petitions/p", "delivered_on": null, "delivery_note": null, "now": "2038-01-01T10:00"}}))),
            ("admin/petition", console(json!({"values": {}, "errors": {}, "campaigns": [], "languages": languages,
                "rules": [], "asked": [], "timezone": "UTC", "preview_html": null,
                "petition": {"id": "1", "title": "P", "status": "delivered", "signature_count": 5, "goal": null,
                    "url": "/petitions/p", "delivered_on": "2038-01-01 10:00", "delivery_note": "By hand", "now": "x"}}))),
            ("admin/signatures", console(json!({"petition": {"id": "1", "title": "P", "status": "open",
                "signature_count": 5, "goal": 10, "page": "/admin/circle/petitions/1", "url": "/petitions/p"},
                "base": "/admin/circle/petitions/1/signatures",
                "signatures": [{"id": "s1", "name": "Ana", "email": "ana@b", "status": "confirmed", "source": "news",
                    "comment": "Yes", "comment_hidden": true, "public": true, "signed": "1 January", "live": true}],
                "q": "an", "status": "", "statuses": [["confirmed", "Confirmed"]], "next": "/x?cursor=y",
                "batches": [{"batch": "b", "signatures": 2, "at": "1 January"}], "timezone": "UTC",
                "values": {}, "errors": {}, "notice": "2 invalidated.", "undo": "b", "refusal": "no"}))),
            ("admin/signatures_invalidate", console(json!({"petition": {"id": "1", "title": "P", "status": "open",
                "signature_count": 5, "goal": null, "page": "/p", "url": "/u"}, "base": "/b",
                "values": {"email_domain": "spam.example"}, "errors": {},
                "matching": {"signatures": 3, "counted": 2, "after": 3}, "timezone": "UTC"}))),
            ("admin/signatures_invalidate", console(json!({"petition": {"id": "1", "title": "P", "status": "open",
                "signature_count": 5, "goal": null, "page": "/p", "url": "/u"}, "base": "/b",
                "values": {}, "errors": {"email_domain": "name one"}, "matching": null, "timezone": "UTC"}))),
        ]);
        // Fundraisers, donations and the outbox in the console.
        let with_status = |f: &serde_json::Value, status: &str| {
            let mut f = f.clone();
            f["status"] = status.into();
            f
        };
        let fundraiser = json!({"id": "1", "title": "Strike fund", "slug": "strike", "status": "open",
            "raised": "10.00 GBP", "goal": "5,000.00 GBP", "percent": 0, "raised_other": ["1.234,50 VES"],
            "donors": 2, "currency": "GBP", "url": "/fundraisers/strike"});
        let fundraiser_values = json!({"title": "Strike fund", "goal.amount": "5000", "goal.currency": "GBP",
            "suggested_amounts": "10, 25", "min_amount": "1", "max_amount": "999999.99", "language": "en"});
        pages.extend([
            ("admin/fundraisers", console(json!({"fundraisers": [fundraiser.clone()]}))),
            ("admin/fundraisers", console(json!({"fundraisers": []}))),
            ("admin/fundraiser_new", console(json!({"values": {}, "errors": {"goal.amount": "bad"},
                "campaigns": [["c", "C"]], "languages": languages}))),
            ("admin/fundraiser", console(json!({"values": fundraiser_values, "errors": {"_done": "Saved.", "_form": "no"},
                "campaigns": [], "languages": languages, "fundraiser": fundraiser.clone()}))),
            ("admin/fundraiser", console(json!({"values": {}, "errors": {"title": "bad"},
                "campaigns": [], "languages": languages, "fundraiser": with_status(&fundraiser, "closed")}))),
            ("admin/fundraiser", console(json!({"values": {}, "errors": {},
                "campaigns": [], "languages": languages, "fundraiser": with_status(&fundraiser, "draft")}))),
            ("admin/donations", console(json!({"fundraiser": fundraiser.clone(), "base": "/admin/circle/fundraisers/1",
                "totals": [{"currency": "GBP", "amount": "10.00 GBP"}, {"currency": "VES", "amount": "1.234,50 VES"}],
                "donations": [{"id": "d1", "status": "succeeded", "method": "online", "monthly": true,
                    "donor_name": "Ana", "donor_email": "ana@b", "anonymous": true, "amount": "25.00 GBP",
                    "refunded": "1.00 GBP", "note": "n", "message": "m", "date": "1 January 2027", "refundable": true},
                    {"id": "d2", "status": "refunded", "method": "cash", "monthly": false, "donor_name": null,
                    "donor_email": null, "anonymous": false, "amount": "5 JPY", "refunded": null, "note": null,
                    "message": null, "date": "1 January 2027", "refundable": false}],
                "next": "abc", "first_page": false, "methods": [["cash", "Cash"]], "timezone": "UTC",
                "notice": "Recorded.", "values": {"method": "cash", "send_receipt": "yes"},
                "errors": {"amount.amount": "bad", "method": "bad"}}))),
            ("admin/donations", console(json!({"fundraiser": fundraiser.clone(), "base": "/admin/circle/fundraisers/1",
                "totals": [{"currency": "GBP", "amount": "0.00 GBP"}], "donations": null, "next": null,
                "first_page": true, "methods": [], "timezone": "UTC", "notice": null, "values": {}, "errors": {}}))),
            ("admin/refund", console(json!({"fundraiser": fundraiser.clone(), "base": "/admin/circle/fundraisers/1",
                "donation": {"id": "d1", "status": "succeeded", "method": "online", "donor_name": "Ana",
                    "donor_email": "ana@b", "amount": "25.00 GBP", "date": "1 January 2027"},
                "online": true, "why": null}))),
            ("admin/refund", console(json!({"fundraiser": fundraiser, "base": "/admin/circle/fundraisers/1",
                "donation": {"id": "d1", "status": "refunded", "method": "cash", "donor_name": null,
                    "donor_email": null, "amount": "25.00 GBP", "date": "1 January 2027"},
                "online": false, "why": "Already refunded."}))),
            ("admin/emails", console(json!({"kinds": [{"template": "RSVP confirmation", "failed": 1, "waiting": 2}],
                "failed_count": 1, "waiting_count": 2, "oldest": "2 hours", "notice": "1 email put back.",
                "failed": [{"id": "e1", "recipient": "ana@b", "recipient_name": "Ana", "template": "RSVP confirmation",
                    "status": "failed", "attempts": 5, "last_error": "550", "queued": "1 January", "next_attempt": "1 January"}],
                "waiting": [{"id": "e2", "recipient": "bo@b", "recipient_name": "", "template": "Donation receipt",
                    "status": "sending", "attempts": 0, "last_error": null, "queued": "1 January", "next_attempt": "1 January"}],
                "next": "x", "first_page": false}))),
            ("admin/emails", console(json!({"kinds": [], "failed_count": 0, "waiting_count": 0, "oldest": null,
                "notice": null, "failed": null, "waiting": null, "next": null, "first_page": true}))),
            ("admin/home", console(json!({"overview": [
                {"slug": "circle", "name": "Circle", "role": "owner", "applications": 0, "failed_emails": 0,
                 "drafts": 0, "waiting_for": "2 hours"}]}))),
        ]);
        // Figures and supporters (charts drawn as the pages draw them).
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        let daily = crate::stats::Daily {
            days: vec![day, day.succ_opt().unwrap_or(day)],
            values: vec![3, 1],
            before: 2,
        };
        let money = crate::stats::MoneyDaily {
            days: daily.days.clone(),
            currencies: vec![(
                crate::domain::Currency::parse("GBP").unwrap_or_else(|_| unreachable!()),
                vec![(None, vec![1250, 0])],
            )],
        };
        let chart = crate::console::charts::signatures(Locale::En, "s", &daily, Some(10));
        let empty = crate::console::charts::signatures(
            Locale::En,
            "e",
            &crate::stats::Daily::default(),
            None,
        );
        let supporter = json!({"id": "1", "name": "Ana", "email": "ana@example.org", "locale": null,
            "subscribed": true, "unsubscribed_at": "1 December 2026", "since": "1 December 2026",
            "rsvps": [{"event_id": "2", "event_title": "Film", "starts": "2 December 2026", "status": "going",
                "guests": 1, "checked_in": true, "when": "1 December 2026"}],
            "signatures": [{"petition_title": "P", "status": "confirmed", "subscribe": true, "public": false,
                "comment": "Yes", "when": "1 December 2026"}],
            "donations": [{"fundraiser_title": "F", "amount": "12.50 GBP", "refunded": "1.00 GBP",
                "status": "succeeded", "frequency": "monthly", "when": "1 December 2026"}]});
        pages.extend([
            ("admin/stats", console(json!({"days": 90, "periods": [{"days": 30, "label": "30"}, {"days": 90, "label": "90"}],
                "recent": {"signatures_text": "4", "rsvps_text": "0", "gifts_text": "1", "signatures": 4, "rsvps": 0, "gifts": 1},
                "signatures": chart, "rsvps": empty,
                "money": crate::console::charts::money(Locale::En, "m", &money)}))),
            ("admin/stats", console(json!({"days": 30, "periods": [], "recent": {"signatures_text": "0",
                "rsvps_text": "0", "gifts_text": "0", "signatures": 0, "rsvps": 0, "gifts": 0}, "signatures": empty, "rsvps": empty, "money": []}))),
            ("admin/home", console(json!({"overview": [
                {"slug": "circle", "name": "Circle", "role": "owner", "applications": 0, "failed_emails": 0, "drafts": 0,
                 "glance": {"chart": chart, "recent": {"signatures_text": "4", "rsvps_text": "0", "gifts_text": "1", "signatures": 4, "rsvps": 0, "gifts": 1}}},
            ]}))),
            ("admin/event", console(json!({"values": {"kind": "social", "timezone": "UTC"}, "errors": {},
                "kinds": [], "campaigns": [], "timezones": zones, "languages": languages, "rsvp_modes": [], "visibilities": [],
                "going_chart": crate::console::charts::capacity(Locale::En, "going", &daily, Some(40)),
                "event": {"id": "1", "title": "Film", "status": "draft", "kind": "social", "going": 4,
                    "waitlisted": 0, "capacity": 40, "url": "/events/f", "ics_url": "/f.ics", "google_url": "https://g",
                    "feed_url": "/f", "when": "Monday", "takes_children": false, "children": []}}))),
            ("admin/supporters", console(json!({"q": "an", "supporters": [{"id": "1", "name": "Ana", "email": "ana@example.org"},
                {"id": "2", "name": "", "email": "b@example.org"}], "next": "/admin/circle/supporters?cursor=2",
                "errors": {"_done": "Erased."}}))),
            ("admin/supporters", console(json!({"q": "zz", "supporters": [], "next": null, "errors": {}}))),
            ("admin/supporters", console(json!({"q": "", "supporters": [], "next": null, "errors": {"q": "too long"}}))),
            ("admin/supporter", console(json!({"supporter": supporter}))),
            ("admin/supporter_erase", console(json!({"supporter": supporter, "values": {"email": "ana@"},
                "errors": {"email": "This is not their address."}}))),
        ]);
        for locale in Locale::ALL {
            for (name, context) in &pages {
                let mut context = context.clone();
                context["locale"] = locale.as_str().into();
                let page = renderer.page(name, &context);
                assert!(
                    page.as_ref()
                        .is_ok_and(|html| html.contains(&format!("lang=\"{locale}\""))),
                    "{name} {locale}: {page:?}"
                );
            }
        }
    }
}
