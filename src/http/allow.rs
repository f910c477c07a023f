//! `Allow` on a 405: RFC 9110 asks a server that refuses a method to say which
//! methods the resource takes. The API's router knows only that it refused; the
//! OpenAPI document knows each path's methods, so the table is read from it once.

use std::sync::Arc;

use poem::{
    Endpoint, IntoResponse, Request, Response,
    http::{HeaderValue, StatusCode, header},
};

/// The methods of each path of the API, as its OpenAPI document lists them.
#[derive(Clone, Debug, Default)]
pub struct AllowedMethods(Arc<Vec<(Vec<Segment>, HeaderValue)>>);

#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `{id}`: any one segment.
    Parameter,
}

impl AllowedMethods {
    /// Read the table from an OpenAPI document (`OpenApiService::spec()`).
    pub fn from_document(document: &str) -> Self {
        let document: serde_json::Value = serde_json::from_str(document).unwrap_or_default();
        let paths = document["paths"].as_object().into_iter().flatten();
        let table = paths
            .filter_map(|(path, operations)| {
                let mut methods: Vec<String> = operations
                    .as_object()?
                    .keys()
                    .map(|m| m.to_uppercase())
                    .collect();
                // poem answers HEAD wherever it answers GET.
                if methods.iter().any(|m| m == "GET") {
                    methods.push("HEAD".into());
                }
                methods.sort();
                let allow = HeaderValue::from_str(&methods.join(", ")).ok()?;
                Some((segments(path), allow))
            })
            .collect();
        Self(Arc::new(table))
    }

    /// What `Allow` says for a path of the API (without its `/api/v1` prefix).
    fn of(&self, path: &str) -> Option<&HeaderValue> {
        let asked: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.0
            .iter()
            .find(|(template, _)| {
                template.len() == asked.len()
                    && template.iter().zip(&asked).all(|(t, a)| match t {
                        Segment::Literal(l) => l == a,
                        Segment::Parameter => !a.is_empty(),
                    })
            })
            .map(|(_, allow)| allow)
    }
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .trim_matches('/')
        .split('/')
        .map(|s| {
            if s.starts_with('{') && s.ends_with('}') {
                Segment::Parameter
            } else {
                Segment::Literal(s.to_owned())
            }
        })
        .collect()
}

/// Add `Allow` to the API's 405 answers.
pub async fn add_allow<E: Endpoint>(
    endpoint: Arc<E>,
    req: Request,
    allowed: AllowedMethods,
) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    let mut response = endpoint.call(req).await?.into_response();
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(allow) = allowed.of(&path)
    {
        response.headers_mut().insert(header::ALLOW, allow.clone());
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_finds_the_methods_of_its_template() {
        let allowed = AllowedMethods::from_document(
            r#"{"paths": {
                "/events": {"get": {}, "post": {}},
                "/events/{id}": {"get": {}, "patch": {}, "delete": {}},
                "/events/{id}/publish": {"post": {}}
            }}"#,
        );
        assert_eq!(
            allowed
                .of("/events/abc")
                .map(|v| v.to_str().unwrap_or_default()),
            Some("DELETE, GET, HEAD, PATCH")
        );
        assert_eq!(
            allowed
                .of("/events/abc/publish")
                .map(|v| v.to_str().unwrap_or_default()),
            Some("POST")
        );
        assert_eq!(allowed.of("/events/abc/nothing"), None);
    }
}
