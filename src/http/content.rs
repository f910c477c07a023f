//! Organisation-owned content on the wire: the status of each refusal, a path's
//! reference, a list's cursor and a PATCH field's change.

use poem_openapi::types::MaybeUndefined;
use sea_orm::DatabaseConnection;

use super::{ApiError, BearerAuth, auth::authenticate};
use crate::access::Access;
use crate::content::{Change, ContentError, Cursor, Invalid, Owned};
use crate::domain::{InvalidField, PublicRef};

impl From<ContentError> for ApiError {
    fn from(e: ContentError) -> Self {
        match e {
            ContentError::Invalid(invalid) => invalid.into(),
            ContentError::Access(a) => a.into(),
            ContentError::NotFound(_) => ApiError::not_found(e.to_string()),
            ContentError::Forbidden(_) => ApiError::forbidden(e.to_string()),
            ContentError::SlugTaken(_) => ApiError::conflict(e.to_string()),
            ContentError::Db(e) => ApiError::internal(&e),
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        ApiError::invalid(e.0)
    }
}

/// The content a path names by id or slug; text that is neither names nothing.
pub fn reference<E: Owned>(raw: &str) -> Result<PublicRef, ContentError> {
    PublicRef::parse(raw).ok_or(ContentError::NotFound(E::NOUN))
}

/// The organiser behind the token, and the content a path names: a bad token is
/// 401 whatever the path says.
pub async fn named<E: Owned>(
    db: &DatabaseConnection,
    auth: &BearerAuth,
    raw: &str,
) -> Result<(Access, PublicRef), ApiError> {
    let access = authenticate(db, auth).await?;
    Ok((access, reference::<E>(raw)?))
}

/// `?cursor=`, as the list that gave it out made it.
pub fn cursor(raw: Option<&str>) -> Result<Option<Cursor>, InvalidField> {
    raw.map(Cursor::parse).transpose()
}

/// The body of one page of a list: its items and the cursor the next page starts at,
/// null on the last. Each list names its own schema (`EventPage`, `DonorPage`…), so
/// this makes one struct per item rather than a generic one (poem-openapi would name
/// that `Page_Event`). A service's `Page` becomes one with `.into()`, each item by
/// its own `From`.
macro_rules! page_body {
    ($(#[$doc:meta])* $name:ident of $item:ty) => {
        $(#[$doc])*
        #[derive(poem_openapi::Object, Debug, Clone)]
        pub struct $name {
            pub items: Vec<$item>,
            #[oai(nullable)]
            pub next_cursor: Option<String>,
        }

        impl<T: Into<$item>> From<$crate::content::Page<T>> for $name {
            fn from(page: $crate::content::Page<T>) -> Self {
                Self {
                    items: page.items.into_iter().map(Into::into).collect(),
                    next_cursor: page.next.map(|c| c.to_string()),
                }
            }
        }
    };
}
pub(crate) use page_body;

/// The body of a PATCH and its conversion to the service's changes, from one list of
/// fields: each may be left out (keep), `null` (clear) or a value (set), as [`change`]
/// reads it, so every field is a nullable `MaybeUndefined` and none is required. A
/// field whose value needs more than `Into` names its conversion after `=>`.
///
/// ```ignore
/// patch_body! {
///     /// A change to a campaign.
///     CampaignPatch => service::CampaignChanges {
///         slug: Text,
///         hosts: Vec<Text> => |hosts: Vec<Text>| hosts.into_iter().map(Into::into).collect(),
///     }
/// }
/// ```
macro_rules! patch_body {
    (
        $(#[$doc:meta])* $name:ident => $changes:ty {
            $($(#[$field_doc:meta])* $field:ident: $ty:ty $(=> $map:expr)?),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(poem_openapi::Object, Debug, Clone, Default)]
        #[oai(deny_unknown_fields)]
        pub struct $name {
            $(
                $(#[$field_doc])*
                #[oai(nullable)]
                pub $field: poem_openapi::types::MaybeUndefined<$ty>,
            )+
        }

        impl From<$name> for $changes {
            fn from(patch: $name) -> Self {
                Self {
                    $($field: $crate::http::content::change(patch.$field)$(.map($map))?,)+
                }
            }
        }
    };
}
pub(crate) use patch_body;

/// `From` between a body and the service's value it stands for when both have the
/// same fields, each moved as it is: one way (`A => B`), or both ways.
///
/// ```ignore
/// same_fields!(Texts => PerLanguage { en, es, fr });
/// same_fields!(Location, service::Location, both ways { venue, address, locality });
/// ```
macro_rules! same_fields {
    ($from:ty => $to:ty { $($field:ident),+ $(,)? }) => {
        impl From<$from> for $to {
            fn from(value: $from) -> Self {
                Self { $($field: value.$field,)+ }
            }
        }
    };
    ($a:ty, $b:ty, both ways { $($field:ident),+ $(,)? }) => {
        $crate::http::content::same_fields!($a => $b { $($field),+ });
        $crate::http::content::same_fields!($b => $a { $($field),+ });
    };
}
pub(crate) use same_fields;

/// A PATCH field: absent keeps, `null` clears, a value sets.
pub fn change<T, U>(field: MaybeUndefined<T>) -> Change<U>
where
    T: Into<U>,
{
    match field {
        MaybeUndefined::Undefined => Change::Keep,
        MaybeUndefined::Null => Change::Clear,
        MaybeUndefined::Value(value) => Change::Set(value.into()),
    }
}
