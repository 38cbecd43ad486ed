//! `/api/v1/billing/user/manage/licenses` and `.../licenses/check`: analytics licences.
//!
//! A user holds a number of licences per level (`analytic_l1..3`). A scenario may make a
//! limited pool available per level (`settings.licenses_available`), shared by all active
//! users; without it every request fits.

use hyper::StatusCode;
use serde_json::{Map, Value};

use super::RequestContext;
use crate::error::ApiError;
use crate::reply::Reply;
use crate::store::LICENSE_LEVELS;
use crate::validation::{Rule, SchemaId};

fn wanted(input: &Value) -> [Option<u64>; 3] {
    LICENSE_LEVELS.map(|name| input.get(name).and_then(Value::as_u64))
}

/// `POST .../licenses`: replace the user's licences; 204. A level beyond the pool is a 422
/// on that key (`The analytic l1 field must not be greater than N.`, N what is left).
///
/// # Errors
/// A 422 (or 302) [`ApiError`].
pub fn set(ctx: &RequestContext<'_>, input: &Value) -> Result<Reply, ApiError> {
    let login = super::existing_login(ctx, SchemaId::Licenses, input)?;
    match ctx.runtime.store.set_licenses(
        login,
        wanted(input),
        ctx.runtime.settings.licenses_available,
    ) {
        Ok(Some(_)) => Ok(Reply::empty(StatusCode::NO_CONTENT)),
        Ok(None) => Err(super::login_gone(ctx, SchemaId::Licenses)),
        Err(short) => Err(super::field_error(
            ctx,
            SchemaId::Licenses,
            LICENSE_LEVELS[short.level],
            Rule::MaxNumeric(short.remaining.to_string()),
        )),
    }
}

/// `POST .../licenses/check`: `{"analytic_l1": true, ...}` with only the requested keys;
/// `false` where the request would exceed the pool.
///
/// # Errors
/// A 422 (or 302) [`ApiError`].
pub fn check(ctx: &RequestContext<'_>, input: &Value) -> Result<Reply, ApiError> {
    let login = super::existing_login(ctx, SchemaId::LicensesCheck, input)?;
    let fits = ctx.runtime.store.licenses_fit(
        login,
        wanted(input),
        ctx.runtime.settings.licenses_available,
    );
    let mut answer = Map::new();
    for (level, name) in LICENSE_LEVELS.iter().enumerate() {
        if input.get(*name).is_some() {
            answer.insert((*name).to_owned(), Value::Bool(fits[level].is_ok()));
        }
    }
    Ok(Reply::json(
        StatusCode::OK,
        Value::Object(answer).to_string(),
    ))
}
