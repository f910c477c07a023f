//! Macros the crate's modules share.

/// `as_str` and `from_stored` for an enum kept as text in the database: the one
/// place its variants are spelled as stored.
macro_rules! text_enum {
    ($ty:ty { $($variant:ident = $text:literal),* $(,)? }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),* }
            }
            /// Read a value the database keeps; `None` for anything else.
            pub fn from_stored(raw: &str) -> Option<Self> {
                match raw { $($text => Some(Self::$variant),)* _ => None }
            }
        }
    };
}
