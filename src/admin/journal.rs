//! `/__admin/requests`: the journal, its filters, verification counts and unmatched requests.

use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminContext, AdminError, AdminOk, json_body, ok};
use crate::journal::Filter;
use crate::scenario::count_matcher;

/// `?method=&path=&status=&limit=`, read with `form_urlencoded` (so `+` is a space and
/// `%XX` is decoded, as in any query string).
fn filter(query: &str) -> Result<Filter, AdminError> {
    let mut filter = Filter::default();
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let bad =
            |what: &str| AdminError::BadRequest(format!("query: {key}={value:?} is not {what}"));
        match key.as_ref() {
            "method" => {
                filter.method = Some(
                    Method::from_bytes(value.to_ascii_uppercase().as_bytes())
                        .map_err(|_| bad("an HTTP method"))?,
                );
            }
            "path" => filter.path = Some(value.clone().into_owned()),
            "status" => filter.status = Some(value.parse().map_err(|_| bad("a status code"))?),
            "limit" => filter.limit = Some(value.parse().map_err(|_| bad("a count"))?),
            other => {
                return Err(AdminError::BadRequest(format!(
                    "query: unknown filter {other:?}, expected one of method, path, status, limit"
                )));
            }
        }
    }
    Ok(filter)
}

pub(super) fn list(ctx: &AdminContext<'_>) -> Result<AdminOk, AdminError> {
    let filter = filter(ctx.query.unwrap_or(""))?;
    let (requests, evicted) = ctx.session.journal().list(&filter);
    ok(json!({"requests": requests, "evicted": evicted}))
}

pub(super) fn clear(ctx: &AdminContext<'_>) -> Result<AdminOk, AdminError> {
    ctx.session.journal().clear();
    Ok(AdminOk::Empty(StatusCode::NO_CONTENT))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountBody {
    #[serde(rename = "match")]
    matcher: Option<Value>,
}

pub(super) fn count(ctx: &AdminContext<'_>) -> Result<AdminOk, AdminError> {
    let body: CountBody = json_body(ctx.body, "{\"match\": {...}}", |_| {
        "body: expected only the key \"match\"".into()
    })?;
    let Some(doc) = body.matcher else {
        return Err(AdminError::BadRequest("body: match: required".into()));
    };
    let matcher =
        count_matcher("body", "match", &doc).map_err(|e| AdminError::BadRequest(e.to_string()))?;
    ok(json!({"count": ctx.session.journal().count(&matcher)}))
}

pub(super) fn unmatched(ctx: &AdminContext<'_>) -> Result<AdminOk, AdminError> {
    ok(json!({"requests": ctx.session.journal().unmatched()}))
}
