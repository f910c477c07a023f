//! A slug: the ASCII name of a public object in its URL.

use std::fmt;

use super::InvalidField;

const MAX_LEN: usize = 80;
/// Generated slugs stop here, leaving room for a `-2` suffix.
const GENERATED_LEN: usize = 60;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// Lower-case ASCII letters, digits and single hyphens inside; not a UUID, so that a
    /// path segment is never ambiguous between an id and a slug.
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        let invalid = |message: &str| Err(InvalidField::new("slug", message));
        if raw.is_empty() || raw.len() > MAX_LEN {
            return invalid("must be 1 to 80 characters");
        }
        let allowed = raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !allowed || raw.starts_with('-') || raw.ends_with('-') || raw.contains("--") {
            return invalid("may use only a-z, 0-9 and single hyphens inside");
        }
        if uuid::Uuid::parse_str(raw).is_ok() {
            return invalid("must not be a UUID");
        }
        Ok(Self(raw.to_owned()))
    }

    /// Derive a slug from a title: accents and other scripts transliterated to ASCII
    /// (`Société` → `societe`), everything else folded into hyphens. `fallback` is
    /// used when nothing is left (a title of emoji).
    pub fn from_title(title: &str, fallback: &str) -> Self {
        let ascii = deunicode::deunicode(title).to_lowercase();
        let mut slug = String::with_capacity(ascii.len());
        for c in ascii.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        if slug.len() > GENERATED_LEN {
            slug.truncate(GENERATED_LEN);
            // Cut at a word boundary when there is one.
            if let Some(cut) = slug.rfind('-').filter(|&i| i > GENERATED_LEN / 2) {
                slug.truncate(cut);
            }
        }
        let slug = slug.trim_matches('-');
        Self::parse(slug).unwrap_or_else(|_| Self(fallback.to_owned()))
    }

    /// The same slug with a numeric suffix, for the n-th object of one title.
    pub fn numbered(&self, n: u32) -> Self {
        Self(format!("{}-{n}", self.0))
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a public path names an object: by its id, in any spelling a UUID may take
/// (`0190…`, upper case, braces, no hyphens, `urn:uuid:`), or by its slug. Anything
/// else names nothing, so it needs no database to be answered 404; and as the many
/// spellings of one id become that id, a cache keyed by it holds each object once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PublicRef {
    Id(uuid::Uuid),
    Slug(Slug),
}

impl PublicRef {
    /// `None` when `raw` is neither a UUID nor a slug.
    pub fn parse(raw: &str) -> Option<Self> {
        match uuid::Uuid::parse_str(raw) {
            Ok(id) => Some(Self::Id(id)),
            Err(_) => Slug::parse(raw).ok().map(Self::Slug),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_an_id_is_that_id_and_junk_is_nothing() {
        let id = uuid::Uuid::parse_str("0190f3a1-6d2b-7c3e-8f4a-5b6c7d8e9f00").unwrap();
        for spelling in [
            "0190f3a1-6d2b-7c3e-8f4a-5b6c7d8e9f00",
            "0190F3A1-6D2B-7C3E-8F4A-5B6C7D8E9F00",
            "0190f3a16d2b7c3e8f4a5b6c7d8e9f00",
            "{0190f3a1-6d2b-7c3e-8f4a-5b6c7d8e9f00}",
            "urn:uuid:0190f3a1-6d2b-7c3e-8f4a-5b6c7d8e9f00",
        ] {
            assert_eq!(
                PublicRef::parse(spelling),
                Some(PublicRef::Id(id)),
                "{spelling}"
            );
        }
        assert_eq!(
            PublicRef::parse("free-the-five"),
            Some(PublicRef::Slug(Slug::parse("free-the-five").unwrap()))
        );
        for junk in ["Free-The-Five", "", "a b", "x--y", "%00", &"a".repeat(81)] {
            assert_eq!(PublicRef::parse(junk), None, "{junk}");
        }
    }

    #[test]
    fn titles_become_ascii_slugs() {
        let slug = Slug::from_title("Société Bolivarienne du Québec", "x");
        assert_eq!(slug.as_ref(), "societe-bolivarienne-du-quebec");
        let slug = Slug::from_title("  ¡Venezuela: la verdad y el mito!  ", "x");
        assert_eq!(slug.as_ref(), "venezuela-la-verdad-y-el-mito");
    }

    #[test]
    fn a_title_with_nothing_to_keep_uses_the_fallback() {
        assert_eq!(Slug::from_title("!!!", "event").as_ref(), "event");
    }

    #[test]
    fn long_titles_are_cut_at_a_word() {
        let slug = Slug::from_title(&"solidarity ".repeat(20), "x");
        assert!(slug.as_ref().len() <= 60);
        assert!(!slug.as_ref().ends_with('-'));
        assert!(slug.as_ref().ends_with("solidarity"));
    }

    #[test]
    fn invalid_slugs_are_refused() {
        for bad in [
            "",
            "Not A Slug!",
            "-a",
            "a-",
            "a--b",
            "ñandu",
            "0195a3c2-7e4f-7b1a-9c3d-2f4e5a6b7c8d",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Slug::parse("hands-off-venezuela-2026").is_ok());
    }
}
