//! Email: the templates in `templates/email`, rendered in the supporter's language.
//! (The outbox and its worker come with RSVPs.)

pub mod render;
