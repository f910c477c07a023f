//! A BCP 47 language tag (`en`, `es`, `fr`, `pt-BR`).

use std::fmt;

use super::InvalidField;

#[derive(Debug, Clone, PartialEq, Eq, sea_orm::DeriveValueType)]
#[sea_orm(value_type = "String")]
pub struct Language(String);

impl Language {
    /// A primary language of two or three letters, then optional subtags of one to
    /// eight letters or digits. Case is normalised the way BCP 47 writes it.
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        let invalid = || {
            InvalidField::new(
                "language",
                format!("{raw:?} is not a language tag such as en, es or fr"),
            )
        };
        let mut parts = raw.split('-');
        let primary = parts.next().unwrap_or_default();
        if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(invalid());
        }
        let mut tag = primary.to_ascii_lowercase();
        for part in parts {
            if part.is_empty() || part.len() > 8 || !part.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(invalid());
            }
            tag.push('-');
            match part.len() {
                2 => tag.push_str(&part.to_ascii_uppercase()),
                4 => {
                    let mut chars = part.chars();
                    tag.extend(chars.next().map(|c| c.to_ascii_uppercase()));
                    tag.push_str(&chars.as_str().to_ascii_lowercase());
                }
                _ => tag.push_str(&part.to_ascii_lowercase()),
            }
        }
        Ok(Self(tag))
    }

    pub fn english() -> Self {
        Self("en".into())
    }
}

impl AsRef<str> for Language {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised() {
        assert_eq!(Language::parse("es").unwrap().as_ref(), "es");
        assert_eq!(Language::parse("pt-br").unwrap().as_ref(), "pt-BR");
        assert_eq!(Language::parse("ZH-hant").unwrap().as_ref(), "zh-Hant");
    }

    #[test]
    fn non_tags_are_refused() {
        for bad in ["", "english", "e", "es_VE", "es-", "fr-123456789"] {
            assert!(Language::parse(bad).is_err(), "{bad}");
        }
    }
}
