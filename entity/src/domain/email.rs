//! An email address, kept as typed and as the key two spellings share.

use std::fmt;

use super::InvalidField;

/// Stored as typed. Read back as stored (`from_stored`), not through `parse`: the
/// rules for new addresses have grown stricter, and an address accepted under older
/// ones must still load, or every query touching its row would fail.
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::DeriveValueType)]
#[sea_orm(value_type = "String", from_str = "Email::from_stored")]
pub struct Email {
    shown: String,
    key: String,
}

impl Email {
    /// Accept what mail systems accept in practice: one `@`, a non-empty local part,
    /// a domain with a dot, no spaces or control characters, at most 254 octets.
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        let shown = raw.trim();
        let invalid = |message: &str| Err(InvalidField::new("email", message));
        if shown.is_empty() {
            return invalid("must not be empty");
        }
        if shown.len() > 254 {
            return invalid("must be at most 254 characters");
        }
        if shown.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return invalid("must not contain spaces");
        }
        // Invisible characters that reorder or hide text: an address that shows as
        // one thing in an organiser's list and is another.
        if shown.chars().any(is_format_character) {
            return invalid("must not contain invisible or direction-changing characters");
        }
        let Some((local, domain)) = shown.rsplit_once('@') else {
            return invalid("must contain an @");
        };
        if local.is_empty() || local.contains('@') && !local.starts_with('"') {
            return invalid("is not an email address");
        }
        let labels_ok = domain
            .split('.')
            .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
        if !domain.contains('.') || !labels_ok || domain.contains(['<', '>', ',', ';', '"']) {
            return invalid("is not an email address");
        }
        // What we accept, we must be able to write to: lettre builds every email.
        if shown.parse::<lettre::Address>().is_err() {
            return invalid("is not an address we can send email to");
        }
        Ok(Self {
            shown: shown.to_owned(),
            key: shown.to_lowercase(),
        })
    }

    /// An address as the database keeps it, accepted once.
    fn from_stored(text: &str) -> Result<Self, InvalidField> {
        if text.is_empty() {
            return Err(InvalidField::required("email", "must not be empty"));
        }
        Ok(Self {
            shown: text.to_owned(),
            key: text.to_lowercase(),
        })
    }

    /// Lower-cased: what uniqueness is checked on.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The key with a `+tag` folded away (`ana+hov@example.org` → `ana@example.org`):
    /// one person, however many tags they use, signs a petition once.
    pub fn folded_key(&self) -> String {
        match self.key.rsplit_once('@') {
            Some((local, domain)) if !local.starts_with('"') => {
                let local = local.split('+').next().unwrap_or(local);
                let local = if local.is_empty() { "+" } else { local };
                format!("{local}@{domain}")
            }
            _ => self.key.clone(),
        }
    }
}

/// Unicode's format characters (category Cf) that can appear in typed text: bidi
/// controls and isolates, zero-width characters, the soft hyphen, the byte-order
/// mark, interlinear annotations and tags.
fn is_format_character(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.shown
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

/// A supporter's address, gone once they ask to be erased: the column is NOT NULL,
/// so erasure stores empty text, which this reads back as `Erased`.
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::DeriveValueType)]
#[sea_orm(
    value_type = "String",
    from_str = "SupporterEmail::from_stored",
    to_str = "SupporterEmail::to_stored"
)]
pub enum SupporterEmail {
    Known(Email),
    Erased,
}

impl SupporterEmail {
    /// The address, unless erased.
    pub fn known(&self) -> Option<&Email> {
        match self {
            Self::Known(email) => Some(email),
            Self::Erased => None,
        }
    }

    fn from_stored(text: &str) -> Result<Self, InvalidField> {
        if text.is_empty() {
            Ok(Self::Erased)
        } else {
            Email::from_stored(text).map(Self::Known)
        }
    }

    fn to_stored(&self) -> String {
        self.to_string()
    }
}

impl From<Email> for SupporterEmail {
    fn from(email: Email) -> Self {
        Self::Known(email)
    }
}

/// The address, or nothing once erased.
impl fmt::Display for SupporterEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Known(email) => email.fmt(f),
            Self::Erased => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_and_invisible_characters_are_refused() {
        for raw in [
            "ana\u{202E}gro.elpmaxe@example.org",
            "ana\u{200B}@example.org",
            "\u{2066}ana@example.org\u{2069}",
            "ana@exa\u{00AD}mple.org",
            "\u{FEFF}ana@example.org",
        ] {
            let refused = Email::parse(raw).unwrap_err();
            assert!(refused.message.contains("invisible"), "{raw:?}: {refused}");
        }
    }

    #[test]
    fn an_address_lettre_cannot_write_to_is_refused() {
        for raw in [
            "ana(comment)@example.org",
            "a[b]@example.org",
            "a..b@example.org",
            ".ana@example.org",
            "ana.@example.org",
        ] {
            let refused = Email::parse(raw).unwrap_err();
            assert!(
                refused.message.contains("send email to"),
                "{raw:?}: {refused}"
            );
        }
        assert!(Email::parse("ana.pérez@example.org").is_ok());
        assert!(Email::parse("ana@xn--exmple-cua.org").is_ok());
    }

    #[test]
    fn addresses_people_use_are_accepted() {
        for ok in [
            "ana@example.org",
            "Ben.Lopez+hov@mail.example.co.uk",
            "  x@y.ve ",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn an_address_stored_under_older_rules_still_loads() {
        let older = "ana..perez@example.org";
        assert!(Email::parse(older).is_err());
        let stored = SupporterEmail::from_stored(older).unwrap();
        assert_eq!(stored.known().map(Email::key), Some(older));
    }

    #[test]
    fn an_erased_address_is_stored_empty_and_read_back_as_erased() {
        assert_eq!(SupporterEmail::from_stored(""), Ok(SupporterEmail::Erased));
        assert_eq!(SupporterEmail::Erased.to_stored(), "");
        let known = SupporterEmail::from(Email::parse("Ana@Example.org").unwrap());
        assert_eq!(known.to_stored(), "Ana@Example.org");
        assert_eq!(SupporterEmail::from_stored(&known.to_stored()), Ok(known));
    }

    #[test]
    fn the_key_ignores_case() {
        let a = Email::parse("Ana@Example.org").unwrap();
        assert_eq!(a.key(), "ana@example.org");
        assert_eq!(a.to_string(), "Ana@Example.org");
    }

    #[test]
    fn plus_tags_fold_away() {
        let a = Email::parse("Ana+Petition@Example.org").unwrap();
        assert_eq!(a.folded_key(), "ana@example.org");
        let b = Email::parse("ben@example.org").unwrap();
        assert_eq!(b.folded_key(), "ben@example.org");
    }

    #[test]
    fn broken_addresses_are_refused() {
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.org",
            "ana@example",
            "a b@example.org",
            "ana@example.org\r\nBcc: x@y.z",
            "ana@-example.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }
}
