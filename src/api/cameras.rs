//! `/api/v1/billing/user/manage/cameras`: sync a user's cameras and camera groups.

use hyper::StatusCode;
use serde_json::{Map, Value};

use super::RequestContext;
use crate::error::ApiError;
use crate::reply::Reply;
use crate::validation::SchemaId;

/// The lists a camera sync sets, in the order the admin view shows them.
pub const CAMERA_LISTS: [&str; 4] = [
    "camera_ids",
    "camera_external_ids",
    "public_group_external_ids",
    "private_group_external_ids",
];

/// `POST .../cameras`: the lists given replace the user's (absent or null lists become
/// empty, as a sync sets the whole state); 204.
///
/// # Errors
/// A 422 (or 302) [`ApiError`].
pub fn sync(ctx: &RequestContext<'_>, input: &Value) -> Result<Reply, ApiError> {
    let login = super::existing_login(ctx, SchemaId::Cameras, input)?;
    let mut state = Map::new();
    for name in CAMERA_LISTS {
        let list = input.get(name).filter(|v| !v.is_null()).cloned();
        state.insert(
            name.to_owned(),
            list.unwrap_or_else(|| Value::Array(Vec::new())),
        );
    }
    ctx.runtime
        .store
        .modify(login, |user| {
            user.extra_mut().cameras = Some(Value::Object(state))
        })
        .ok_or_else(|| super::login_gone(ctx, SchemaId::Cameras))?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
