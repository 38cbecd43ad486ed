//! `/api/v1/billing/user/manage/licenses` and `.../licenses/check`: analytics licences.
//!
//! A user holds a number of licences per level (`analytic_l1..3`). A scenario may make a
//! limited pool available per level (`settings.licenses_available`), shared by all active
//! users; without it every request fits.

use super::{Outcome, RequestContext, Success};
use crate::php::Array;
use crate::store::{LICENSE_LEVELS, Licenses};
use crate::validation::{Bound, Rule, SchemaId};

/// The levels asked for, as Laravel's `integer` rule read them (`"5"`, `5.0` and `true`
/// are integers; validation has refused anything else).
fn wanted(input: &Array) -> Licenses {
    LICENSE_LEVELS.map(|name| {
        input
            .get_str(name)
            .and_then(|v| v.filter_int())
            .map(|n| u64::try_from(n).unwrap_or(0))
    })
}

/// `POST .../licenses`: replace the user's licences; 204. A level beyond the pool is a 422
/// on that key (`The analytic l1 field must not be greater than N.`, N what is left).
pub(super) fn set(ctx: &RequestContext<'_>, input: &Array) -> Outcome {
    let login = ctx.existing_login(SchemaId::Licenses, input)?;
    let available = ctx.state.settings().licenses_available;
    match ctx
        .state
        .store()
        .set_licenses(login, wanted(input), available)
    {
        Ok(true) => Ok(Success::NoContent),
        Ok(false) => Err(ctx.login_gone()),
        Err(short) => Err(ctx.field_error(
            LICENSE_LEVELS[short.level],
            Rule::Max(Bound::new(short.remaining.to_string())),
            true,
        )),
    }
}

/// `POST .../licenses/check`: `{"analytic_l1": true, ...}` with only the requested keys;
/// `false` where the request would exceed the pool.
pub(super) fn check(ctx: &RequestContext<'_>, input: &Array) -> Outcome {
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
            .filter(|(_, name)| input.get_str(name).is_some())
            .map(|(level, name)| (*name, fits[level].is_ok()))
            .collect(),
    ))
}
