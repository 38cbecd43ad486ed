//! `/api/v1/billing/user/manage/intercoms`: sync a user's intercoms (flats).

use serde_json::Value as Json;

use super::{Outcome, RequestContext, Success};
use crate::php::{Array, to_json};
use crate::validation::SchemaId;

/// `POST .../intercoms`: `sync` replaces the user's intercoms (absent, null or `[]` clears
/// them); 204.
pub(super) fn sync(ctx: &RequestContext<'_>, input: &Array) -> Outcome {
    let login = ctx.existing_login(SchemaId::Intercoms, input)?;
    let list = input
        .get_str("sync")
        .filter(|v| !v.is_null())
        .map(to_json)
        .unwrap_or_else(|| Json::Array(Vec::new()));
    ctx.modify(
        login,
        |user| user.lifecycle_mut().intercoms = Some(list),
        |_| Success::NoContent,
    )
}
