//! `/__admin/requests`: the journal, its filters, verification counts and unmatched requests.

use hyper::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminContext, AdminError, AdminOk, json_body, ok};
use crate::feed::EventStream;
use crate::journal::Filter;
use crate::scenario::count_matcher;

/// `?method=&path=&status=&rule=&limit=` (the stream: `session=` instead of `limit=`), read
/// with `form_urlencoded` (so `+` is a space and `%XX` is decoded, as in any query string).
fn filter(query: &str, stream: bool) -> Result<(Filter, Option<String>), AdminError> {
    let mut filter = Filter::default();
    let mut session = None;
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
            "rule" => filter.rule = Some(value.clone().into_owned()),
            "limit" if !stream => {
                filter.limit = Some(value.parse().map_err(|_| bad("a count"))?);
            }
            "session" if stream => session = Some(value.clone().into_owned()),
            other => {
                let expected = if stream {
                    "method, path, status, rule, session"
                } else {
                    "method, path, status, rule, limit"
                };
                return Err(AdminError::BadRequest(format!(
                    "query: unknown filter {other:?}, expected one of {expected}"
                )));
            }
        }
    }
    Ok((filter, session))
}

/// `GET /__admin/requests/stream`: every entry of every session as it is recorded
/// (Server-Sent Events), filtered like the journal and by session.
pub(super) fn stream(ctx: &AdminContext<'_>) -> Result<AdminOk, AdminError> {
    let (filter, session) = filter(ctx.query.unwrap_or(""), true)?;
    Ok(AdminOk::Stream(EventStream::new(
        ctx.events.subscribe(),
        filter,
        session,
        ctx.stream_dropped.clone(),
        ctx.shutdown.clone(),
    )))
}

pub(super) fn list(ctx: &AdminContext<'_>) -> Result<AdminOk, AdminError> {
    let (filter, _) = filter(ctx.query.unwrap_or(""), false)?;
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
