//! `/api/v1/billing/user/manage/licenses` and `.../licenses/check`: analytics licences.
//!
//! A user holds a number of licences per level (`analytic_l1..3`). A scenario may make a
//! limited pool available per level (`settings.licenses_available`), shared by all active
//! users; without it every request fits.

use serde_json::Value;

use super::{Outcome, RequestContext, Success};
use crate::store::{LICENSE_LEVELS, Licenses};
use crate::validation::{Rule, SchemaId};

fn wanted(input: &Value) -> Licenses {
    LICENSE_LEVELS.map(|name| input.get(name).and_then(Value::as_u64))
}

/// `POST .../licenses`: replace the user's licences; 204. A level beyond the pool is a 422
/// on that key (`The analytic l1 field must not be greater than N.`, N what is left).
pub(super) fn set(ctx: &RequestContext<'_>, input: &Value) -> Outcome {
    let login = ctx.existing_login(SchemaId::Licenses, input)?;
    let available = ctx.state.settings().licenses_available;
    match ctx
        .state
        .store()
        .set_licenses(login, wanted(input), available)
    {
        Ok(true) => Ok(Success::NoContent),
        Ok(false) => Err(ctx.login_gone(SchemaId::Licenses)),
        Err(short) => Err(ctx.field_error(
            SchemaId::Licenses,
            LICENSE_LEVELS[short.level],
            Rule::MaxNumeric(short.remaining.to_string()),
        )),
    }
}

/// `POST .../licenses/check`: `{"analytic_l1": true, ...}` with only the requested keys;
/// `false` where the request would exceed the pool.
pub(super) fn check(ctx: &RequestContext<'_>, input: &Value) -> Outcome {
    let login = ctx.existing_login(SchemaId::LicensesCheck, input)?;
    let available = ctx.state.settings().licenses_available;
    let fits = ctx
        .state
        .store()
        .licenses_fit(login, wanted(input), available);
    Ok(Success::LicenseCheck(
        LICENSE_LEVELS
            .iter()
            .enumerate()
            .filter(|(_, name)| input.get(**name).is_some())
            .map(|(level, name)| (*name, fits[level].is_ok()))
            .collect(),
    ))
}
