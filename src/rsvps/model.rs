//! Request and response bodies of the RSVP endpoints, and their conversions.

pub use entity::values::RsvpStatus;
use poem_openapi::Object;

pub use super::service::{MAX_GUESTS, RsvpForm};
use super::{links::manage_url, service};
use crate::domain::InvalidField;
use crate::http::{Text, content::page_body, instant};

/// An RSVP body: who is coming, as [`RsvpForm::parse`] reads it, then what only this
/// body asks. A supporter's RSVP and one an organiser takes share these fields, so
/// they are written once.
macro_rules! rsvp_body {
    ($(#[$doc:meta])* $name:ident { $($own:tt)* }) => {
        $(#[$doc])*
        #[derive(Object, Debug, Clone)]
        #[oai(deny_unknown_fields)]
        pub struct $name {
            pub email: Text,
            pub name: Text,
            /// People coming with the supporter (0 to 20); they count against capacity.
            #[oai(nullable)]
            pub guests: Option<i64>,
            /// `en`, `es` or `fr`: the language of the emails.
            #[oai(nullable)]
            pub locale: Option<Text>,
            $($own)*
        }
    };
}

rsvp_body! {
    /// An RSVP from a supporter.
    RsvpRequest {
        /// Hear about the organisers' future events and campaigns.
        #[oai(nullable)]
        pub subscribe: Option<bool>,
        /// Where the supporter came from (`newsletter`, `partner-x`): kept with the
        /// consent they give. At most 100 characters.
        #[oai(nullable)]
        pub source: Option<Text>,
    }
}

rsvp_body! {
    /// An RSVP an organiser takes (at the door, or by phone).
    DoorRsvpRequest {
        /// Mark them checked in at once.
        #[oai(nullable)]
        pub checked_in: Option<bool>,
    }
}

/// A change a supporter makes to their RSVP.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct RsvpChange {
    pub guests: i64,
}

impl TryFrom<RsvpRequest> for RsvpForm {
    type Error = Vec<InvalidField>;

    fn try_from(r: RsvpRequest) -> Result<Self, Self::Error> {
        let source = r
            .source
            .as_deref()
            .map(crate::petitions::review::Source::parse)
            .transpose();
        let form = Self::parse(
            &r.email,
            &r.name,
            r.guests,
            r.locale.as_deref(),
            r.subscribe.unwrap_or(false),
        );
        match (form, source) {
            (Ok(form), Ok(source)) => Ok(Self {
                source: source.flatten().map(|s| s.as_ref().to_owned()),
                ..form
            }),
            (Ok(_), Err(refused)) => Err(vec![refused]),
            (Err(mut fields), Err(refused)) => {
                fields.push(refused);
                Err(fields)
            }
            (Err(fields), Ok(_)) => Err(fields),
        }
    }
}

impl TryFrom<&DoorRsvpRequest> for RsvpForm {
    type Error = Vec<InvalidField>;

    fn try_from(r: &DoorRsvpRequest) -> Result<Self, Self::Error> {
        Self::parse(&r.email, &r.name, r.guests, r.locale.as_deref(), false)
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

page_body!(
    /// A page of attendees.
    AttendeePage of Attendee
);

impl Rsvp {
    /// An RSVP as its API answers show it, with its manage link on the site at
    /// `public_url`.
    pub fn of(r: service::Rsvp, public_url: &str) -> Self {
        let row = r.row;
        Self {
            id: row.id.to_string(),
            event_id: row.event_id.to_string(),
            status: row.status,
            guests: row.guests,
            manage_url: manage_url(public_url, &r.token),
            created_at: instant(row.created_at),
            updated_at: instant(row.updated_at),
        }
    }
}

impl From<service::Attendee> for Attendee {
    fn from(a: service::Attendee) -> Self {
        let row = a.row;
        Self {
            id: row.id.to_string(),
            event_id: row.event_id.to_string(),
            supporter_id: row.supporter_id.to_string(),
            name: a.name,
            email: a.email,
            status: row.status,
            guests: row.guests,
            locale: row.locale.map(|l| l.to_string()),
            waitlisted_at: row.waitlisted_at.map(instant),
            checked_in_at: row.checked_in_at.map(instant),
            created_at: instant(row.created_at),
            updated_at: instant(row.updated_at),
        }
    }
}
