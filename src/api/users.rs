//! `/api/v1/billing/user/manage`: the user resource.

use super::{ApiError, Outcome, RequestContext, Success};
use crate::php::{Array, Value, has_replacement};
use crate::store::{Inserted, StoreError, User, UserDraft, billing_info, properties};
use crate::validation::{Rule, SchemaId};

/// `POST /api/v1/billing/user/manage`: validate, check the login is free, store, answer the
/// user object.
pub(super) fn create(ctx: &RequestContext<'_>, input: &Array) -> Outcome {
    let draft = validated_draft(ctx, input)?;
    if ctx.not_utf8 && stores_not_utf8(input, &["login", "type", "status"]) {
        return Err(ApiError::NotUtf8Stored);
    }
    store_draft(ctx, draft, User::vendor_json).map(|(_, json)| Success::User(json))
}

/// Validates a create body (the schema, then `unique` on the login unless the session
/// upserts) and builds the user it describes, not yet stored. The admin API creates users
/// this way too.
///
/// # Errors
/// A 422 [`ApiError`].
pub(crate) fn validated_draft(
    ctx: &RequestContext<'_>,
    input: &Array,
) -> Result<UserDraft, ApiError> {
    let schema = ctx.schemas.get(SchemaId::UserCreate);
    let bag = if ctx.state.settings().on_duplicate_login.is_upsert() {
        schema.validate(input, ctx.locale())?
    } else {
        schema.validate_with_store(input, ctx.locale(), &|login| ctx.taken(login))?
    };
    if !bag.is_empty() {
        return Err(ApiError::Validation(bag));
    }
    Ok(UserDraft::from_create_input(input, ctx.state.now()))
}

/// Stores a validated user (updating the existing one when the session upserts) and hands
/// the stored user to `view` (the response's rendering, or a copy) under the store's lock.
///
/// # Errors
/// 422 when a concurrent create took the login first; 500 when the store is full.
pub(crate) fn store_draft<R>(
    ctx: &RequestContext<'_>,
    draft: UserDraft,
    view: impl FnOnce(&User) -> R,
) -> Result<(Inserted, R), ApiError> {
    let upsert = ctx.state.settings().on_duplicate_login.is_upsert();
    match ctx.state.store().insert(draft, upsert, view) {
        Ok(stored) => Ok(stored),
        Err(StoreError::LoginTaken) => Err(ctx.field_error("login", Rule::Unique, false)),
        Err(e) => Err(ApiError::StoreFull(e)),
    }
}

/// `PATCH /api/v1/billing/user/manage`: change only the fields given (billing properties
/// replaced as a whole), attach then detach permissions, move `updated_at`.
pub(super) fn update(ctx: &RequestContext<'_>, input: &Array) -> Outcome {
    let login = ctx.existing_login(SchemaId::UserUpdate, input)?;
    if ctx.not_utf8 && stores_not_utf8(input, &["status"]) {
        return Err(ApiError::NotUtf8Stored);
    }
    let store = ctx.state.store();
    let password_hash = input
        .get_str("password")
        .and_then(Value::as_str)
        .map(|p| store.hash_password(p));
    let attach = names(input.get_str("permissions_to_attach"));
    let detach = names(input.get_str("permissions_to_detach"));
    let now = ctx.state.now();
    let change = |user: &mut User| {
        if let Some(status) = input.get_str("status").and_then(Value::as_str) {
            user.status = status.into();
        }
        if let Some(info) = input.get_str("billing_info") {
            user.billing_info = billing_info(Some(info));
        }
        if let Some(props) = input.get_str("billing_properties") {
            user.billing_properties = properties(Some(props));
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
    ctx.modify(login, change, |user| Success::User(user.vendor_json()))
}

/// `DELETE /api/v1/billing/user/manage`: soft-delete; the login can be created again.
pub(super) fn delete(ctx: &RequestContext<'_>, input: &Array) -> Outcome {
    let login = ctx.existing_login(SchemaId::UserDelete, input)?;
    if ctx.state.store().delete(login, ctx.state.now()) {
        Ok(Success::NoContent)
    } else {
        Err(ctx.login_gone())
    }
}

/// Whether what a create or update stores from `input` holds a string that stood for form
/// or query bytes that are not UTF-8: the `texts` fields, `billing_info` whole (keys too,
/// stored as JSON) and each `billing_properties` entry's `type` and `value` (the other keys
/// of an entry, and the list's own keys, are not stored).
fn stores_not_utf8(input: &Array, texts: &[&str]) -> bool {
    let [info, props] = input.get_strs(["billing_info", "billing_properties"]);
    texts
        .iter()
        .filter_map(|&field| input.get_str(field))
        .chain(info)
        .any(Value::holds_replacement)
        || properties(props)
            .iter()
            .any(|p| has_replacement(&p.kind) || has_replacement(&p.value))
}

/// The strings of a validated list (permission names), in the array's order.
fn names(value: Option<&Value>) -> Vec<&str> {
    value
        .and_then(Value::as_array)
        .map(|items| items.values().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}
