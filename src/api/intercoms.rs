//! `/api/v1/billing/user/manage/intercoms`: sync a user's intercoms (flats).

use hyper::StatusCode;
use serde_json::Value;

use super::RequestContext;
use crate::error::ApiError;
use crate::reply::Reply;
use crate::validation::SchemaId;

/// `POST .../intercoms`: `sync` replaces the user's intercoms (absent, null or `[]` clears
/// them); 204.
///
/// # Errors
/// A 422 (or 302) [`ApiError`].
pub fn sync(ctx: &RequestContext<'_>, input: &Value) -> Result<Reply, ApiError> {
    let login = super::existing_login(ctx, SchemaId::Intercoms, input)?;
    let list = input
        .get("sync")
        .filter(|v| !v.is_null())
        .cloned()
        .unwrap_or_else(|| Value::Array(Vec::new()));
    ctx.runtime
        .store
        .modify(login, |user| user.extra_mut().intercoms = Some(list))
        .ok_or_else(|| super::login_gone(ctx, SchemaId::Intercoms))?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
