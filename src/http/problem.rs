//! RFC 7807 problems: the one shape every error takes, the one place statuses are
//! chosen for errors that did not come from a service, and the statuses each
//! operation names in the OpenAPI document.

use std::marker::PhantomData;

use poem::{IntoResponse, Response, http::StatusCode};
use poem_openapi::{
    ApiResponse, Object,
    payload::{Json, Payload},
    registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::Type,
};

use crate::domain::InvalidField;

/// An RFC 7807 problem document.
#[derive(Object, Debug, Clone)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[oai(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, in words for the person who sent the request.
    pub detail: String,
    /// For invalid input: each field that was refused and why.
    #[oai(skip_serializing_if_is_none)]
    pub errors: Option<Vec<FieldError>>,
}

/// One refused field of a request.
#[derive(Object, Debug, Clone)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        let (kind, title) = match status.as_u16() {
            400 => ("malformed-request", "Malformed request"),
            401 => ("unauthorized", "Authentication required"),
            403 => ("forbidden", "Forbidden"),
            404 => ("not-found", "Not found"),
            405 => ("method-not-allowed", "Method not allowed"),
            409 => ("conflict", "Conflict"),
            413 => ("payload-too-large", "Request body too large"),
            415 => ("unsupported-media-type", "Unsupported media type"),
            422 => ("invalid-input", "Invalid input"),
            429 => ("rate-limited", "Too many requests"),
            502 => ("bad-gateway", "Bad gateway"),
            503 => ("unavailable", "Service unavailable"),
            _ if status.is_server_error() => ("internal-error", "Internal error"),
            _ => ("error", "Error"),
        };
        Self {
            kind: format!("/problems/{kind}"),
            title: title.into(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: None,
        }
    }

    pub fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = poem_openapi::types::ToJSON::to_json_string(&self);
        Response::builder()
            .status(status)
            .content_type(PROBLEM_JSON)
            .body(body)
    }
}

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Writes [`ApiError`] from one list of its statuses, so that each is written once:
/// every variant carries a problem document (and, in parentheses, what else its
/// status answers with), and `status()` reads the same list.
macro_rules! api_error {
    ($($(#[$doc:meta])* $status:literal => $name:ident $(($($more:tt)+))?,)+) => {
        /// Every error status the API answers with, each carrying a problem document.
        /// Services choose among these (`impl From<RsvpError> for ApiError`); an operation
        /// answers through [`Problems`], which documents only the statuses it names.
        #[derive(ApiResponse, Debug)]
        pub enum ApiError {
            $(
                $(#[$doc])*
                #[oai(status = $status, content_type = "application/problem+json")]
                $name(Json<Problem> $(, $($more)+)?),
            )+
        }

        impl ApiError {
            pub fn status(&self) -> u16 {
                match self {
                    $(Self::$name(..) => $status,)+
                }
            }
        }
    };
}

api_error! {
    /// The body is not well-formed JSON.
    400 => BadRequest,
    /// No token, or a token that is not valid.
    401 => Unauthorized,
    /// The object belongs to an organisation where you lack the role for this.
    403 => Forbidden,
    /// Unknown, or not visible to you.
    404 => NotFound,
    /// The object's state does not allow this (slug taken, not a draft, closed).
    409 => Conflict,
    /// A field is invalid; `errors` names each one.
    422 => Unprocessable,
    /// Too many requests from this client or for this address; `Retry-After` says
    /// how many seconds to wait.
    429 => TooManyRequests(#[oai(header = "Retry-After")] u64),
    /// Something failed on our side; the detail says no more than that.
    500 => Internal,
    /// The payment provider failed or refused; nothing was charged.
    502 => BadGateway,
    /// This deployment does not offer it (online payments not configured).
    503 => Unavailable,
}

impl ApiError {
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::Unauthorized(Json(Problem::new(StatusCode::UNAUTHORIZED, detail)))
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::Forbidden(Json(Problem::new(StatusCode::FORBIDDEN, detail)))
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::NotFound(Json(Problem::new(StatusCode::NOT_FOUND, detail)))
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict(Json(Problem::new(StatusCode::CONFLICT, detail)))
    }

    pub fn too_many(wait: std::time::Duration) -> Self {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Self::TooManyRequests(
            Json(Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("too many attempts; try again in {seconds} s"),
            )),
            seconds.max(1),
        )
    }

    pub fn bad_gateway(detail: impl Into<String>) -> Self {
        Self::BadGateway(Json(Problem::new(StatusCode::BAD_GATEWAY, detail)))
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::Unavailable(Json(Problem::new(StatusCode::SERVICE_UNAVAILABLE, detail)))
    }

    pub fn invalid(errors: Vec<InvalidField>) -> Self {
        let detail = errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        let mut problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, detail);
        problem.errors = Some(
            errors
                .into_iter()
                .map(|e| FieldError {
                    field: e.field,
                    message: e.message,
                })
                .collect(),
        );
        Self::Unprocessable(Json(problem))
    }

    /// Log the cause with its chain; the client learns only that it failed.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        tracing::error!(error = %cause, source = ?cause.source(), "internal error");
        Self::Internal(Json(Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
        )))
    }
}

impl From<InvalidField> for ApiError {
    fn from(e: InvalidField) -> Self {
        Self::invalid(vec![e])
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::internal(&e)
    }
}

/// The error statuses of one operation, named in its signature so that the OpenAPI
/// document lists those and no others:
///
/// ```ignore
/// async fn get(&self, auth: BearerAuth, id: Path<String>)
///     -> Result<Json<Event>, Problems<(Unauthorized, Forbidden, NotFound)>>
/// ```
///
/// Every operation may also answer 400 (a control character in its path or query
/// string) and 500, so those are always listed. Statuses are still chosen by
/// `ApiError`'s `From` conversions, one per service; answering one the signature does
/// not name is a bug, which a debug build stops at and a release build logs.
pub struct Problems<S>(ApiError, PhantomData<S>);

/// The sets most operations name, so that a signature says what kind of operation
/// it is rather than spelling the tuple out again.
///
/// Reading one thing an organisation owns.
pub type ReadOne = Problems<(Unauthorized, Forbidden, NotFound)>;
/// Creating something from a JSON body (a slug or a duplicate may conflict).
pub type CreateOne = Problems<(JsonBody, IdempotencyKey, Unauthorized, Forbidden, Conflict)>;
/// Changing one thing with a JSON body.
pub type PatchOne = Problems<(JsonBody, Unauthorized, Forbidden, NotFound, Conflict)>;
/// Listing what one thing holds (its attendees, signatures, donations), a page at a
/// time.
pub type ListOfOne = Problems<(Unauthorized, Forbidden, NotFound, Unprocessable)>;
/// Acting on one thing without a body (publish, approve, refund…).
pub type ActOnOne = Problems<(IdempotencyKey, Unauthorized, Forbidden, NotFound, Conflict)>;
/// Acting on one thing with a JSON body (cancel with a reason, record a gift…).
pub type ActOnOneWith = Problems<(
    JsonBody,
    IdempotencyKey,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
)>;
/// A supporter's action on a public thing (sign, RSVP), rate limited.
pub type SupporterAction = Problems<(
    JsonBody,
    IdempotencyKey,
    NotFound,
    Conflict,
    TooManyRequests,
)>;

/// A set of statuses an operation names: one of the markers below, or a tuple of them.
pub trait Statuses {
    fn codes() -> Vec<u16>;
}

macro_rules! statuses {
    ($($(#[$doc:meta])* $name:ident = [$($code:literal),+];)+) => {$(
        $(#[$doc])*
        pub struct $name;

        impl Statuses for $name {
            fn codes() -> Vec<u16> {
                vec![$($code),+]
            }
        }
    )+};
}

statuses! {
    /// 401: the operation needs a token.
    Unauthorized = [401];
    /// 403: the object is another organisation's, or the caller's role is too low.
    Forbidden = [403];
    /// 404: the object is unknown or not visible.
    NotFound = [404];
    /// 409: the object's state does not allow this.
    Conflict = [409];
    /// 422: a field or parameter is invalid.
    Unprocessable = [422];
    /// 429: the operation is rate limited.
    TooManyRequests = [429];
    /// 502: the operation calls the payment provider.
    BadGateway = [502];
    /// 503: the operation needs online payments configured.
    Unavailable = [503];
    /// What an operation taking a JSON body may answer before it runs: 400 not JSON,
    /// 408 too slow to arrive, 413 over 1 MiB, 415 not `application/json`, 422 not
    /// the body's schema.
    JsonBody = [400, 408, 413, 415, 422];
    /// What the `Idempotency-Key` of a `POST` may answer (`http::guard`): 409 while a
    /// request with the same key is still running, 422 for the same key with another
    /// body.
    IdempotencyKey = [409, 422];
}

macro_rules! tuple_statuses {
    ($($name:ident),+) => {
        impl<$($name: Statuses),+> Statuses for ($($name,)+) {
            fn codes() -> Vec<u16> {
                let mut codes = Vec::new();
                $(codes.extend($name::codes());)+
                codes
            }
        }
    };
}

tuple_statuses!(A);
tuple_statuses!(A, B);
tuple_statuses!(A, B, C);
tuple_statuses!(A, B, C, D);
tuple_statuses!(A, B, C, D, E);
tuple_statuses!(A, B, C, D, E, F);
tuple_statuses!(A, B, C, D, E, F, G);
tuple_statuses!(A, B, C, D, E, F, G, H);
tuple_statuses!(A, B, C, D, E, F, G, H, I);

impl<S: Statuses> Problems<S> {
    /// Every status the operation may answer, in order, once each.
    fn codes() -> Vec<u16> {
        let mut codes = S::codes();
        codes.extend([400, 500]);
        codes.sort_unstable();
        codes.dedup();
        codes
    }
}

/// What a status means, as the document says it for every operation that lists it.
fn meaning(code: u16) -> &'static str {
    match code {
        400 => {
            "Malformed: the body is not JSON, or the path or query string holds a control character."
        }
        401 => "No token, or a token that is not valid.",
        403 => "The object belongs to an organisation where you lack the role for this.",
        404 => "Unknown, or not visible to you.",
        408 => "The body did not arrive in time.",
        409 => {
            "The object's state does not allow this (slug taken, not a draft, closed, full), \
                or a request with the same `Idempotency-Key` is still being handled."
        }
        413 => "The body is over 1 MiB.",
        415 => "The body is not sent as `application/json`.",
        422 => {
            "A field or parameter is invalid (`errors` names each one), or an \
                `Idempotency-Key` was used before with another body."
        }
        429 => {
            "Too many requests from this client or for this address; `Retry-After` says \
                how many seconds to wait."
        }
        500 => "Something failed on our side; the detail says no more than that.",
        502 => "The payment provider failed or refused; nothing was charged.",
        503 => "This deployment does not offer it (online payments not configured).",
        _ => "An error.",
    }
}

impl<S: Statuses, E: Into<ApiError>> From<E> for Problems<S> {
    fn from(e: E) -> Self {
        let error = e.into();
        let status = error.status();
        if !Self::codes().contains(&status) {
            tracing::error!(
                status,
                "an operation answered a status its document does not name"
            );
            debug_assert!(
                false,
                "{status} is not among the documented {:?}",
                Self::codes()
            );
        }
        Self(error, PhantomData)
    }
}

impl<S: Statuses> ApiResponse for Problems<S> {
    fn meta() -> MetaResponses {
        let responses = Self::codes()
            .into_iter()
            .map(|code| MetaResponse {
                description: meaning(code),
                status: Some(code),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: PROBLEM_JSON,
                    schema: <Json<Problem> as Payload>::schema_ref(),
                }],
                headers: if code == 429 {
                    vec![MetaHeader {
                        name: "Retry-After".into(),
                        description: Some("Seconds to wait before trying again.".into()),
                        required: true,
                        deprecated: false,
                        schema: u64::schema_ref(),
                    }]
                } else {
                    Vec::new()
                },
            })
            .collect();
        MetaResponses { responses }
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }
}

impl<S: Statuses + Send> IntoResponse for Problems<S> {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl<S: Statuses + Send> From<Problems<S>> for poem::Error {
    fn from(problems: Problems<S>) -> Self {
        poem::Error::from_response(problems.into_response())
    }
}

/// Turn any error that escaped a handler (the framework's own: a body that does not
/// fit the schema, a missing token, no such route) into a problem. Errors that are
/// already problems pass through unchanged.
pub async fn catch_all(err: poem::Error) -> Response {
    use poem_openapi::error::{ParseParamError, ParsePathError, ParseRequestPayloadError};

    if let Some(e) = err.downcast_ref::<ParseRequestPayloadError>() {
        // The guard has already refused bodies that are not JSON at all (400), so
        // what is left parsed as JSON but does not fit the request's schema.
        let mut problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, &e.reason);
        problem.errors = unknown_field(&e.reason).map(|field| {
            vec![FieldError {
                field,
                message: "unknown field".into(),
            }]
        });
        return problem.into_response();
    }
    if let Some(e) = err.downcast_ref::<ParseParamError>() {
        let mut problem = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string());
        problem.errors = Some(vec![FieldError {
            field: e.name.to_string(),
            message: e.reason.clone(),
        }]);
        return problem.into_response();
    }
    if err.downcast_ref::<ParsePathError>().is_some() {
        return Problem::new(StatusCode::NOT_FOUND, "no such object").into_response();
    }
    let status = err.status();
    let response = err.into_response();
    let is_problem = response
        .content_type()
        .is_some_and(|ct| ct.starts_with(PROBLEM_JSON));
    if is_problem {
        return response;
    }
    let detail = match status {
        StatusCode::NOT_FOUND => "no such resource".to_owned(),
        StatusCode::UNAUTHORIZED => "send an API token as Authorization: Bearer <token>".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "this resource does not take that method".to_owned(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "send the body as application/json".to_owned(),
        s if s.is_server_error() => {
            tracing::error!(%status, "framework error");
            "internal error".to_owned()
        }
        s => s.canonical_reason().unwrap_or("error").to_owned(),
    };
    Problem::new(status, detail).into_response()
}

/// poem-openapi says "unknown field `name`." when a body has a field the schema lacks.
fn unknown_field(reason: &str) -> Option<String> {
    let rest = reason.split("unknown field `").nth(1)?;
    Some(rest.split('`').next()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_lists_what_it_names_once_each_beside_400_and_500() {
        type Sign = Problems<(JsonBody, IdempotencyKey, NotFound, TooManyRequests)>;
        let listed: Vec<Option<u16>> = Sign::meta().responses.iter().map(|r| r.status).collect();
        let expected = [400, 404, 408, 409, 413, 415, 422, 429, 500].map(Some);
        assert_eq!(listed, expected);
        assert_eq!(
            Problems::<Unauthorized>::meta().responses.len(),
            3,
            "400, 401, 500"
        );
    }

    #[test]
    fn unknown_fields_are_named() {
        let reason = "failed to parse \"NewEvent\": unknown field `titel`.";
        assert_eq!(unknown_field(reason).as_deref(), Some("titel"));
        assert_eq!(unknown_field("expected string"), None);
    }
}
