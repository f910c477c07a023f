//! iCalendar (RFC 5545): events rendered as calendar objects, VTIMEZONEs built from
//! the IANA rules, and the feeds subscribers add to their calendars.

pub mod cache;
pub mod feed;
pub mod links;
pub mod render;
pub mod text;
pub mod vtimezone;

pub use render::{CalendarEvent, FeedMeta, Method, render};
