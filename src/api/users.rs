//! `/api/v1/billing/user/manage`: the user resource.

use serde_json::Value;

use super::{ApiError, Outcome, RequestContext, Success};
use crate::scenario::OnDuplicateLogin;
use crate::store::{StoreError, UserDraft, billing_info, properties};
use crate::validation::{Rule, SchemaId};

/// `POST /api/v1/billing/user/manage`: validate, check the login is free, store, answer the
/// user object.
pub(super) fn create(ctx: &RequestContext<'_>, input: &Value) -> Outcome {
    let draft = validated_draft(ctx, input)?;
    let upsert = ctx.state.settings().on_duplicate_login == OnDuplicateLogin::Upsert;
    match ctx.state.store().insert(draft, upsert, Clone::clone) {
        Ok((_, user)) => Ok(Success::User(user)),
        Err(StoreError::LoginTaken) => {
            Err(ctx.field_error(SchemaId::UserCreate, "login", Rule::Unique))
        }
        Err(StoreError::Full(capacity)) => Err(ApiError::StoreFull { capacity }),
    }
}

/// Validates a create body (schema, then `unique` on the login unless the session upserts)
/// and builds the user it describes, not yet stored. The admin API creates users this way.
///
/// # Errors
/// A 422 [`ApiError`].
pub(crate) fn validated_draft(
    ctx: &RequestContext<'_>,
    input: &Value,
) -> Result<UserDraft, ApiError> {
    let schema = ctx.schemas.get(SchemaId::UserCreate);
    let mut failures = schema.validate(input);
    let login = input
        .get("login")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let upsert = ctx.state.settings().on_duplicate_login == OnDuplicateLogin::Upsert;
    if !upsert && !failures.has("login") && ctx.state.store().login_taken(login) {
        failures.push(schema.field_failure("login", Rule::Unique));
    }
    if !failures.is_empty() {
        return Err(ctx.invalid(failures));
    }
    Ok(UserDraft::from_create_input(input, ctx.state.now()))
}

/// `PATCH /api/v1/billing/user/manage`: change only the fields given (billing properties
/// replaced as a whole), attach then detach permissions, move `updated_at`.
pub(super) fn update(ctx: &RequestContext<'_>, input: &Value) -> Outcome {
    let login = ctx.existing_login(SchemaId::UserUpdate, input)?;
    let store = ctx.state.store();
    let password_hash = input
        .get("password")
        .and_then(Value::as_str)
        .map(|p| store.hash_password(p));
    let attach = names(input.get("permissions_to_attach"));
    let detach = names(input.get("permissions_to_detach"));
    let now = ctx.state.now();
    let change = |user: &mut crate::store::User| {
        if let Some(status) = input.get("status").and_then(Value::as_str) {
            user.status = status.into();
        }
        if let Some(info) = input.get("billing_info") {
            user.billing_info = billing_info(Some(info));
        }
        if input.get("billing_properties").is_some() {
            user.billing_properties = properties(input.get("billing_properties"));
        }
        if let Some(hash) = password_hash {
            user.password_hash = hash;
        }
        if !attach.is_empty() || !detach.is_empty() {
            let permissions = &mut user.lifecycle_mut().permissions;
            for name in &attach {
                if !permissions.iter().any(|p| **p == **name) {
                    permissions.push((*name).into());
                }
            }
            permissions.retain(|p| !detach.contains(&&**p));
        }
        user.updated_at = now;
    };
    store
        .modify(login, change, Clone::clone)
        .map(Success::User)
        .ok_or_else(|| ctx.login_gone(SchemaId::UserUpdate))
}

/// `DELETE /api/v1/billing/user/manage`: soft-delete; the login can be created again.
pub(super) fn delete(ctx: &RequestContext<'_>, input: &Value) -> Outcome {
    let login = ctx.existing_login(SchemaId::UserDelete, input)?;
    if ctx.state.store().delete(login, ctx.state.now()) {
        Ok(Success::NoContent)
    } else {
        Err(ctx.login_gone(SchemaId::UserDelete))
    }
}

/// The strings of a validated list (permission names).
fn names(value: Option<&Value>) -> Vec<&str> {
    value
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}
