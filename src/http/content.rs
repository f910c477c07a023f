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

/// The `#[OpenApi]` impl of an organiser-side API whose operations take the same steps
/// for every kind of content: check the token, name the content the path gives, call
/// the service's method of the same name, show its answer. Each such operation is one
/// line here, written once for every kind; handlers of a kind's own go in `{ … }` where
/// they stand among the others, as written. Every operation keeps its doc comment,
/// path and problems, and the order given, so the OpenAPI document is the same as if
/// each were written out.
///
/// ```ignore
/// organiser_api! {
///     PetitionsApi, "ApiTags::Petitions", petitions of petition::Entity,
///         shown as Petition => |p, url| Petition::of(&p, url);
///     /// Create a petition.
///     create "/petitions" (NewPetition) -> PetitionCreated;   // 201 with the new draft
///     list "/petitions" -> PetitionPage;                      // the organiser's own, paged
///     list "/supporters" -> SupporterPage, by
///         /// An address, compared without regard to case.
///         email;                                              // `?email=` narrows it
///     get "/petitions/:id";
///     change "/petitions/:id" (PetitionPatch);                // PATCH: service `change`
///     act publish "/petitions/:id/publish";                   // POST: service `publish`
///     act deliver "/petitions/:id/deliver" (DeliverRequest);  // … with a body
///     act open "/fundraisers/:id/publish" => move_to(FundraiserStatus::Open);
///     // JSON pages from `signatures`, or every row from `all_signatures` as CSV.
///     sheet signatures "/petitions/:id/signatures" -> SignaturePage,
///         from signatures, all_signatures as "signatures" by every_signature;
///     { async fn comment(&self, …) { … } }
/// }
/// ```
macro_rules! organiser_api {
    (
        $api:ident, $tag:tt, $service:ident $(of $entity:ty)?
        $(, shown as $view:ty => $show:expr)?;
        $($ops:tt)*
    ) => {
        $crate::http::content::organiser_api!(
            @ops [$api, $tag, $service, ($($entity)?), ($($view, $show)?)] [] $($ops)*
        );
    };

    (
        @ops [$api:ident, $tag:tt, $service:ident, $entity:tt, ($view:ty, $show:expr)]
        [$($done:tt)*]
        $(#[$doc:meta])* create $path:tt ($new:ty) -> $created:ident;
        $($rest:tt)*
    ) => {
        $crate::http::content::organiser_api!(
            @ops [$api, $tag, $service, $entity, ($view, $show)] [$($done)*
                $(#[$doc])*
                #[oai(path = $path, method = "post")]
                async fn create(
                    &self,
                    auth: $crate::http::BearerAuth,
                    req: ::poem_openapi::payload::Json<$new>,
                ) -> Result<$created, $crate::http::problem::CreateOne> {
                    let access = $crate::http::auth::authenticate(&self.state.db, &auth).await?;
                    let made = self.state.$service.create(&access, req.0.into()).await?;
                    let shown = ($show)(made, &self.state.site.public_url);
                    Ok($created::Created(::poem_openapi::payload::Json(shown)))
                }
            ] $($rest)*
        );
    };

    (
        @ops [$api:ident, $tag:tt, $service:ident, $entity:tt, ($view:ty, $show:expr)]
        [$($done:tt)*]
        $(#[$doc:meta])* list $path:tt -> $page:ty;
        $($rest:tt)*
    ) => {
        $crate::http::content::organiser_api!(
            @ops [$api, $tag, $service, $entity, ($view, $show)] [$($done)*
                $(#[$doc])*
                #[oai(path = $path, method = "get")]
                async fn list(
                    &self,
                    auth: $crate::http::BearerAuth,
                    #[oai(default)] limit: ::poem_openapi::param::Query<$crate::http::page::Limit>,
                    cursor: ::poem_openapi::param::Query<Option<String>>,
                ) -> Result<
                    ::poem_openapi::payload::Json<$page>,
                    $crate::http::Problems<(
                        $crate::http::problem::Unauthorized,
                        $crate::http::problem::Unprocessable,
                    )>,
                > {
                    let access = $crate::http::auth::authenticate(&self.state.db, &auth).await?;
                    let cursor = $crate::http::content::cursor(cursor.as_deref())?;
                    let page = self.state.$service.list(&access, *limit, cursor).await?;
                    let url = &self.state.site.public_url;
                    let page = page.map(|item| ($show)(item, url));
                    Ok(::poem_openapi::payload::Json(page.into()))
                }
            ] $($rest)*
        );
    };

    // A list narrowed by one optional query parameter, of what a member may be refused
    // (403): personal data, another organisation's.
    (
        @ops [$api:ident, $tag:tt, $service:ident, $entity:tt, $shown:tt] [$($done:tt)*]
        $(#[$doc:meta])* list $path:tt -> $page:ty, by $(#[$by_doc:meta])* $by:ident;
        $($rest:tt)*
    ) => {
        $crate::http::content::organiser_api!(
            @ops [$api, $tag, $service, $entity, $shown] [$($done)*
                $(#[$doc])*
                #[oai(path = $path, method = "get")]
                async fn list(
                    &self,
                    auth: $crate::http::BearerAuth,
                    $(#[$by_doc])*
                    $by: ::poem_openapi::param::Query<Option<String>>,
                    #[oai(default)] limit: ::poem_openapi::param::Query<$crate::http::page::Limit>,
                    cursor: ::poem_openapi::param::Query<Option<String>>,
                ) -> Result<
                    ::poem_openapi::payload::Json<$page>,
                    $crate::http::Problems<(
                        $crate::http::problem::Unauthorized,
                        $crate::http::problem::Forbidden,
                        $crate::http::problem::Unprocessable,
                    )>,
                > {
                    let access = $crate::http::auth::authenticate(&self.state.db, &auth).await?;
                    let cursor = $crate::http::content::cursor(cursor.as_deref())?;
                    let service = &self.state.$service;
                    let page = service.list(&access, $by.as_deref(), *limit, cursor).await?;
                    Ok(::poem_openapi::payload::Json(<$page>::from(page)))
                }
            ] $($rest)*
        );
    };

    // Read, change and act on one: each an operation on the content the path names.
    (@ops $cfg:tt $done:tt $(#[$doc:meta])* get $path:tt; $($rest:tt)*) => {
        $crate::http::content::organiser_api!(
            @one $cfg $done [$(#[$doc])*] get $path, "get", ReadOne, get(); $($rest)*
        );
    };
    (@ops $cfg:tt $done:tt $(#[$doc:meta])* change $path:tt ($body:ty); $($rest:tt)*) => {
        $crate::http::content::organiser_api!(
            @one $cfg $done [$(#[$doc])*] patch $path ($body), "patch", PatchOne, change();
            $($rest)*
        );
    };
    (@ops $cfg:tt $done:tt $(#[$doc:meta])* act $name:ident $path:tt ($body:ty); $($rest:tt)*) => {
        $crate::http::content::organiser_api!(
            @one $cfg $done [$(#[$doc])*] $name $path ($body), "post", ActOnOneWith, $name();
            $($rest)*
        );
    };
    // Without a body: the service method of its name, or the one after `=>` with the
    // arguments given after the organiser and the content.
    (@ops $cfg:tt $done:tt $(#[$doc:meta])* act $name:ident $path:tt; $($rest:tt)*) => {
        $crate::http::content::organiser_api!(
            @one $cfg $done [$(#[$doc])*] $name $path, "post", ActOnOne, $name(); $($rest)*
        );
    };
    (
        @ops $cfg:tt $done:tt
        $(#[$doc:meta])* act $name:ident $path:tt => $method:ident($($arg:expr),*);
        $($rest:tt)*
    ) => {
        $crate::http::content::organiser_api!(
            @one $cfg $done [$(#[$doc])*] $name $path, "post", ActOnOne, $method($($arg),*);
            $($rest)*
        );
    };
    (
        @one [$api:ident, $tag:tt, $service:ident, ($entity:ty), ($view:ty, $show:expr)]
        [$($done:tt)*]
        [$($doc:tt)*] $name:ident $path:tt $(($body:ty))?, $http:tt, $problems:ident,
        $method:ident($($arg:expr),*);
        $($rest:tt)*
    ) => {
        $crate::http::content::organiser_api!(
            @ops [$api, $tag, $service, ($entity), ($view, $show)] [$($done)*
                $($doc)*
                #[oai(path = $path, method = $http)]
                async fn $name(
                    &self,
                    auth: $crate::http::BearerAuth,
                    id: ::poem_openapi::param::Path<String>,
                    $(req: ::poem_openapi::payload::Json<$body>,)?
                ) -> Result<
                    ::poem_openapi::payload::Json<$view>,
                    $crate::http::problem::$problems,
                > {
                    let (access, id) =
                        $crate::http::content::named::<$entity>(&self.state.db, &auth, &id).await?;
                    let answer = self.state.$service
                        .$method(&access, &id $(, $arg)* $(, <$body as Into<_>>::into(req.0))?)
                        .await?;
                    let shown = ($show)(answer, &self.state.site.public_url);
                    Ok(::poem_openapi::payload::Json(shown))
                }
            ] $($rest)*
        );
    };

    // What the content holds, JSON pages or every row as CSV (`Accept: text/csv`).
    (
        @ops [$api:ident, $tag:tt, $service:ident, ($entity:ty), $shown:tt] [$($done:tt)*]
        $(#[$doc:meta])* sheet $name:ident $path:tt -> $page:ty,
            from $paged:ident, $every:ident as $what:literal by $csv:expr;
        $($rest:tt)*
    ) => {
        $crate::http::content::organiser_api!(
            @ops [$api, $tag, $service, ($entity), $shown] [$($done)*
                $(#[$doc])*
                #[oai(path = $path, method = "get")]
                async fn $name(
                    &self,
                    auth: $crate::http::BearerAuth,
                    id: ::poem_openapi::param::Path<String>,
                    #[oai(name = "Accept")] accept: ::poem_openapi::param::Header<Option<String>>,
                    #[oai(default)] limit: ::poem_openapi::param::Query<$crate::http::page::Limit>,
                    cursor: ::poem_openapi::param::Query<Option<String>>,
                ) -> Result<$crate::http::csv::JsonOrCsv<$page>, $crate::http::problem::ListOfOne> {
                    let (access, named) =
                        $crate::http::content::named::<$entity>(&self.state.db, &auth, &id).await?;
                    let service = &self.state.$service;
                    if $crate::http::csv::wants_csv(accept.as_deref()) {
                        let every = service.$every(&access, &named).await?;
                        let sheet = ($csv)(&every);
                        return Ok($crate::http::csv::JsonOrCsv::csv($what, &id, sheet));
                    }
                    let cursor = $crate::http::content::cursor(cursor.as_deref())?;
                    let page = service.$paged(&access, &named, *limit, cursor).await?;
                    Ok($crate::http::csv::JsonOrCsv::Json(page.into()))
                }
            ] $($rest)*
        );
    };

    // A kind's own handlers, where they stand among the others.
    (@ops $cfg:tt [$($done:tt)*] { $($own:tt)* } $($rest:tt)*) => {
        $crate::http::content::organiser_api!(@ops $cfg [$($done)* $($own)*] $($rest)*);
    };

    (@ops [$api:ident, $tag:tt, $($_cfg:tt)*] [$($done:tt)*]) => {
        #[::poem_openapi::OpenApi(tag = $tag)]
        impl $api {
            $($done)*
        }
    };
}
pub(crate) use organiser_api;
