//! `/api/v1/billing/user/manage/cameras`: sync a user's cameras and camera groups.

use serde_json::{Map, Value as Json};

use super::{Outcome, RequestContext, Success};
use crate::php::{Array, to_json};
use crate::store::CAMERA_LISTS;
use crate::validation::SchemaId;

/// `POST .../cameras`: the lists given replace the user's (absent or null lists become
/// empty, as a sync sets the whole state); 204.
pub(super) fn sync(ctx: &RequestContext<'_>, input: &Array) -> Outcome {
    let login = ctx.existing_login(SchemaId::Cameras, input)?;
    let mut lists = Map::new();
    for name in CAMERA_LISTS {
        let list = input.get_str(name).filter(|v| !v.is_null()).map(to_json);
        lists.insert(
            name.to_owned(),
            list.unwrap_or_else(|| Json::Array(Vec::new())),
        );
    }
    ctx.modify(
        login,
        |user| user.lifecycle_mut().cameras = Some(Json::Object(lists)),
        |_| Success::NoContent,
    )
}
