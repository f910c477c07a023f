//! Request and response bodies of the RSVP endpoints, and the checked form of an RSVP.

pub use entity::values::RsvpStatus;
use poem_openapi::Object;

use crate::domain::{Email, InvalidField, Locale, required_text};
use crate::http::Text;

/// The most guests one supporter may bring.
pub const MAX_GUESTS: i64 = 20;

/// An RSVP from a supporter.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct RsvpRequest {
    pub email: Text,
    pub name: Text,
    /// People coming with the supporter (0 to 20); they count against capacity.
    #[oai(nullable)]
    pub guests: Option<i64>,
    /// `en`, `es` or `fr`: the language of the emails.
    #[oai(nullable)]
    pub locale: Option<Text>,
    /// Hear about the organisers' future events and campaigns.
    #[oai(nullable)]
    pub subscribe: Option<bool>,
}

/// An RSVP an organiser takes (at the door, or by phone).
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct DoorRsvpRequest {
    pub email: Text,
    pub name: Text,
    #[oai(nullable)]
    pub guests: Option<i64>,
    #[oai(nullable)]
    pub locale: Option<Text>,
    /// Mark them checked in at once.
    #[oai(nullable)]
    pub checked_in: Option<bool>,
}

/// A change a supporter makes to their RSVP.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct RsvpChange {
    pub guests: i64,
}

/// An RSVP, checked.
#[derive(Debug, Clone)]
pub struct RsvpForm {
    pub email: Email,
    pub name: String,
    pub guests: i32,
    pub locale: Option<Locale>,
    pub subscribe: bool,
}

impl RsvpForm {
    pub fn parse(
        email: &str,
        name: &str,
        guests: Option<i64>,
        locale: Option<&str>,
        subscribe: bool,
    ) -> Result<Self, Vec<InvalidField>> {
        let email = Email::parse(email).map_err(|e| e.at("email"));
        // A name goes into email headers: keep it on one line.
        let name = required_text("name", name, 200).map(|n| crate::email::message::one_line(&n));
        let guests = check_guests(guests.unwrap_or(0));
        let locale = locale.map(Locale::parse).transpose();
        match (email, name, guests, locale) {
            (Ok(email), Ok(name), Ok(guests), Ok(locale)) => Ok(Self {
                email,
                name,
                guests,
                locale,
                subscribe,
            }),
            (email, name, guests, locale) => {
                Err([email.err(), name.err(), guests.err(), locale.err()]
                    .into_iter()
                    .flatten()
                    .collect())
            }
        }
    }

    /// Seats this RSVP asks for: the supporter and their guests.
    pub fn seats(&self) -> i32 {
        1 + self.guests
    }
}

impl TryFrom<RsvpRequest> for RsvpForm {
    type Error = Vec<InvalidField>;

    fn try_from(r: RsvpRequest) -> Result<Self, Self::Error> {
        Self::parse(
            &r.email,
            &r.name,
            r.guests,
            r.locale.as_deref(),
            r.subscribe.unwrap_or(false),
        )
    }
}

/// A number of guests from 0 to 20.
pub fn check_guests(guests: i64) -> Result<i32, InvalidField> {
    if (0..=MAX_GUESTS).contains(&guests) {
        Ok(i32::try_from(guests).unwrap_or_default())
    } else {
        Err(InvalidField::new(
            "guests",
            format!("must be from 0 to {MAX_GUESTS}"),
        ))
    }
}

/// The answer to an RSVP from an address that had already answered: its status,
/// and nothing that would let whoever sent it act on it. Its link went by email.
#[derive(Object, Debug, Clone)]
pub struct RsvpRepeat {
    pub status: RsvpStatus,
}

/// What a supporter learns of their RSVP.
#[derive(Object, Debug, Clone)]
pub struct Rsvp {
    pub id: String,
    pub event_id: String,
    pub status: RsvpStatus,
    pub guests: i32,
    /// The page where the supporter sees, changes or cancels this RSVP. (The
    /// supporter's personal calendar feed is only ever in their emails: it shows
    /// every event they go to, so it is never answered to whoever typed an address.)
    pub manage_url: String,
    pub created_at: String,
    pub updated_at: String,
}

/// An RSVP seen through its manage link: the RSVP and its event. Nothing else about
/// the supporter: a link handed to whoever RSVPs with an address must not show who
/// that address belongs to.
#[derive(Object, Debug, Clone)]
pub struct ManagedRsvp {
    #[oai(flatten)]
    pub rsvp: Rsvp,
    /// The language of the supporter's emails, if they chose one.
    #[oai(nullable)]
    pub locale: Option<String>,
    pub event: crate::events::model::Event,
}

/// An attendee, as the organisers see them.
#[derive(Object, Debug, Clone)]
pub struct Attendee {
    pub id: String,
    pub event_id: String,
    pub supporter_id: String,
    pub name: String,
    pub email: String,
    pub status: RsvpStatus,
    pub guests: i32,
    #[oai(nullable)]
    pub locale: Option<String>,
    #[oai(nullable)]
    pub waitlisted_at: Option<String>,
    #[oai(nullable)]
    pub checked_in_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A page of attendees.
#[derive(Object, Debug, Clone)]
pub struct AttendeePage {
    pub items: Vec<Attendee>,
    #[oai(nullable)]
    pub next_cursor: Option<String>,
}
