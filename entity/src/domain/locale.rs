//! The languages Turnout writes to supporters in.

use std::fmt;

use super::InvalidField;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sea_orm::DeriveValueType)]
#[sea_orm(value_type = "String")]
pub enum Locale {
    En,
    Es,
    Fr,
}

impl Locale {
    pub const ALL: [Self; 3] = [Self::En, Self::Es, Self::Fr];

    /// A language tag we write in: its primary language (`es-VE` → `es`).
    pub fn parse(raw: &str) -> Result<Self, InvalidField> {
        let primary = raw.split(['-', '_']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "en" => Ok(Self::En),
            "es" => Ok(Self::Es),
            "fr" => Ok(Self::Fr),
            _ => Err(InvalidField::new("locale", "must be one of en, es, fr")),
        }
    }

    /// The supporter's choice, else the content's language if we write it, else English.
    pub fn choose(supporter: Option<Self>, content: impl AsRef<str>) -> Self {
        supporter
            .or_else(|| Self::parse(content.as_ref()).ok())
            .unwrap_or(Self::En)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
            Self::Fr => "fr",
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_supporter_wins_then_the_content_then_english() {
        assert_eq!(Locale::choose(Some(Locale::Fr), "es"), Locale::Fr);
        assert_eq!(Locale::choose(None, "es-VE"), Locale::Es);
        assert_eq!(Locale::choose(None, "pt"), Locale::En);
        assert_eq!(Locale::choose(None, ""), Locale::En);
    }
}
