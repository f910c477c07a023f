//! The values a text column may hold, each spelled once: as stored, as the API
//! writes it (with the `openapi` feature) and as the code names it. A row read from
//! the database holds one of these or fails to load; nothing reads text back.

/// An enum kept as text: the variants and their one spelling.
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sea_orm::DeriveValueType)]
        #[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
        #[sea_orm(value_type = "String")]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[cfg_attr(feature = "openapi", oai(rename = $text))]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in the order declared (for tests that each has its
            /// words, say).
            pub const ALL: [Self; [$(stringify!($variant)),+].len()] = [$(Self::$variant),+];

            /// How it is stored and written.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// The value spelled `text`, if any.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl std::str::FromStr for $name {
            type Err = sea_orm::sea_query::ValueTypeErr;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text).ok_or(sea_orm::sea_query::ValueTypeErr)
            }
        }

        /// Written as stored (in email contexts, for instance).
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_enum! {
    /// What kind of gathering an event is.
    EventKind {
        Screening = "screening",
        Workshop = "workshop",
        PublicMeeting = "public_meeting",
        Demonstration = "demonstration",
        Delegation = "delegation",
        Fundraiser = "fundraiser",
        Social = "social",
        Other = "other",
    }
}

stored_enum! {
    /// Where an event stands.
    EventStatus {
        /// Seen only by its organisation.
        Draft = "draft",
        /// Listed (if public) and open to RSVPs.
        Published = "published",
        /// Called off; stays visible so links and calendars can say so.
        Cancelled = "cancelled",
    }
}

stored_enum! {
    /// Who finds an event.
    Visibility {
        /// In the public list and feeds.
        Public = "public",
        /// Reachable by its link only.
        Unlisted = "unlisted",
    }
}

stored_enum! {
    /// How an event takes RSVPs.
    RsvpMode {
        /// Anyone may RSVP until it is full.
        Open = "open",
        /// Organisers approve each RSVP (a delegation taking applications).
        Approval = "approval",
    }
}

stored_enum! {
    /// Where an RSVP stands.
    RsvpStatus {
        /// Holds seats.
        Going = "going",
        /// Waits for seats to free up, in order.
        Waitlisted = "waitlisted",
        /// Waits for the organisers to approve it (events with `rsvp_mode: approval`).
        PendingApproval = "pending_approval",
        /// The organisers said no.
        Declined = "declined",
        /// The supporter called it off.
        Cancelled = "cancelled",
    }
}

stored_enum! {
    /// Where a campaign stands.
    CampaignStatus {
        Active = "active",
        Archived = "archived",
    }
}

stored_enum! {
    /// Where a petition stands.
    PetitionStatus {
        /// Seen only by its organisation.
        Draft = "draft",
        /// Taking signatures.
        Open = "open",
        /// No longer taking signatures (by hand, or `closes_at` passed).
        Closed = "closed",
        /// Handed to its target.
        Delivered = "delivered",
    }
}

stored_enum! {
    /// Whether a petition asks for a field.
    #[derive(Default)]
    FieldRule {
        #[default]
        Off = "off",
        Optional = "optional",
        Required = "required",
    }
}

stored_enum! {
    /// Whether a signature counts yet.
    SignatureState {
        /// Waiting for its confirmation link to be followed.
        Pending = "pending",
        /// Counted.
        Confirmed = "confirmed",
        /// Never confirmed in time; the address may sign again.
        Expired = "expired",
        /// Set aside by an organiser (spam); never counts, and signing again with
        /// the address changes nothing. Undoing its batch puts it back.
        Invalidated = "invalidated",
    }
}

stored_enum! {
    /// Where a fundraiser stands.
    FundraiserStatus {
        /// Seen only by its organisation.
        Draft = "draft",
        /// Taking donations.
        Open = "open",
        /// No longer taking online donations.
        Closed = "closed",
    }
}

stored_enum! {
    /// Where a donation stands.
    DonationStatus {
        /// Waiting for the payment.
        Pending = "pending",
        Succeeded = "succeeded",
        /// The payment did not go through; nothing was taken.
        Failed = "failed",
        /// Given back in full.
        Refunded = "refunded",
    }
}

stored_enum! {
    /// How a donation was given.
    DonationMethod {
        /// Through Stripe Checkout.
        Online = "online",
        Cash = "cash",
        BankTransfer = "bank_transfer",
        Cheque = "cheque",
        Other = "other",
    }
}

stored_enum! {
    /// How often a donation is given.
    #[derive(Default)]
    Frequency {
        #[default]
        OneTime = "one_time",
        Monthly = "monthly",
    }
}

stored_enum! {
    /// A role in an organisation, from least to most able.
    #[derive(PartialOrd, Ord)]
    Role {
        /// Reads content only; sees no personal data.
        Viewer = "viewer",
        /// Manages content and supporter data.
        Organiser = "organiser",
        /// Everything, including members.
        Owner = "owner",
    }
}

stored_enum! {
    /// What an organiser's one-time link does.
    LinkPurpose {
        PasswordReset = "password_reset",
        SignIn = "sign_in",
    }
}

stored_enum! {
    /// Where an email's row stands.
    EmailStatus {
        /// Waiting for its (next) attempt.
        Pending = "pending",
        /// A worker holds it until its lease ends.
        Sending = "sending",
        Sent = "sent",
        /// Every attempt failed, or the server refused it for good.
        Failed = "failed",
    }
}

stored_enum! {
    /// How an organisation's organisers hear of a new application to an approval event.
    ApplicationNotices {
        /// An email for each application as it comes.
        Each = "each",
        /// One email a day listing the day's applications.
        Daily = "daily",
    }
}

stored_enum! {
    /// Why no email goes to an address any more.
    SuppressionReason {
        /// A delivery status notification said the address fails for good.
        Bounced = "bounced",
        /// Its holder reported an email as abuse (an ARF report).
        Complained = "complained",
        /// Three temporary failures within 30 days.
        RepeatedFailures = "repeated_failures",
        /// Our SMTP server refused it with a 5xx reply.
        Rejected = "rejected",
    }
}

stored_enum! {
    /// Where a supporter's consent to hear from one organisation stands.
    ConsentStatus {
        /// Asked for (the box was ticked) but the address is not yet confirmed:
        /// counts for nothing.
        Pending = "pending",
        /// Given and the address confirmed by a link we emailed.
        Active = "active",
        /// Ended by unsubscribing from that organisation.
        Withdrawn = "withdrawn",
    }
}

stored_enum! {
    /// The form on which a consent was asked.
    ConsentForm {
        Rsvp = "rsvp",
        Signature = "signature",
        Donation = "donation",
        /// The organisation's "Join us" form.
        Join = "join",
        /// An API body with `subscribe: true`.
        Api = "api",
    }
}

stored_enum! {
    /// Where a mailing stands.
    MailingStatus {
        /// Being written: changes and deletion allowed.
        Draft = "draft",
        /// To be queued at its `send_at`.
        Scheduled = "scheduled",
        /// Queued in the outbox; emails going out.
        Sending = "sending",
        /// Every email sent or given up on.
        Sent = "sent",
        /// Stopped before it was queued, or while it sent: what was not yet sent
        /// will not be.
        Cancelled = "cancelled",
    }
}
