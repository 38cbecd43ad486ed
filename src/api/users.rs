//! `/api/v1/billing/user/manage`: the user resource.

use hyper::StatusCode;
use serde_json::Value;

use super::RequestContext;
use crate::clock::Timestamp;
use crate::config::Settings;
use crate::error::ApiError;
use crate::reply::Reply;
use crate::scenario::OnDuplicateLogin;
use crate::store::{Inserted, Property, Store, StoreError, User, render_head};
use crate::validation::{Rule, SchemaId};

/// `POST /api/v1/billing/user/manage`: validate, check the login is free, store, answer the
/// user object.
///
/// # Errors
/// A 422 (or 302) [`ApiError`] for invalid input or a taken login; a 500 when the store is
/// full.
pub fn create(ctx: &RequestContext<'_>, input: &Value) -> Result<Reply, ApiError> {
    let user = validated_user(ctx, input)?;
    let mut tail = Vec::with_capacity(256);
    user.render_tail(&mut tail);
    let body = match insert(ctx, user)? {
        Inserted::New(id) => {
            let mut body = Vec::with_capacity(tail.len() + 16);
            render_head(id, &mut body);
            body.extend_from_slice(&tail);
            body
        }
        Inserted::Updated(user) => user.to_json(),
    };
    Ok(Reply::json(StatusCode::OK, body))
}

/// Validates a create body (schema, then `unique` on the login unless the session upserts)
/// and builds the user it describes, not yet stored.
///
/// # Errors
/// A 422 (or 302) [`ApiError`].
pub fn validated_user(ctx: &RequestContext<'_>, input: &Value) -> Result<User, ApiError> {
    let schema = ctx.schemas.get(SchemaId::UserCreate);
    let mut failures = schema.validate(input);
    let login = text(input, "login");
    let upsert = ctx.runtime.settings.on_duplicate_login == OnDuplicateLogin::Upsert;
    if !upsert && !failures.has("login") && ctx.runtime.store.login_taken(login) {
        failures.push(schema.field_failure("login", Rule::Unique));
    }
    if !failures.is_empty() {
        return Err(ctx.validation_error(failures));
    }
    Ok(build_user(&ctx.runtime.store, ctx.runtime.now(), input))
}

/// Stores a validated user.
///
/// # Errors
/// 422 when a concurrent create took the login first; 500 when the store is full.
pub fn insert(ctx: &RequestContext<'_>, user: User) -> Result<Inserted, ApiError> {
    let upsert = ctx.runtime.settings.on_duplicate_login == OnDuplicateLogin::Upsert;
    match ctx.runtime.store.insert(user, upsert) {
        Ok(inserted) => Ok(inserted),
        Err(StoreError::LoginTaken) => Err(super::field_error(
            ctx,
            SchemaId::UserCreate,
            "login",
            Rule::Unique,
        )),
        Err(StoreError::Full(capacity)) => Err(ApiError::StoreFull { capacity }),
    }
}

/// `PATCH /api/v1/billing/user/manage`: change only the fields given (billing properties
/// replaced as a whole), attach then detach permissions, move `updated_at`.
///
/// # Errors
/// A 422 (or 302) [`ApiError`] for invalid input or an unknown login.
pub fn update(ctx: &RequestContext<'_>, input: &Value) -> Result<Reply, ApiError> {
    let login = super::existing_login(ctx, SchemaId::UserUpdate, input)?;
    let store = &ctx.runtime.store;
    let password_hash = input
        .get("password")
        .and_then(Value::as_str)
        .map(|p| store.hash_password(p));
    let attach = names(input.get("permissions_to_attach"));
    let detach = names(input.get("permissions_to_detach"));
    let now = ctx.runtime.now();
    let user = store
        .modify(login, |user| {
            if let Some(status) = input.get("status").and_then(Value::as_str) {
                user.status = status.into();
            }
            if let Some(info) = input.get("billing_info") {
                user.billing_info = (!info.is_null()).then(|| info.to_string().into_boxed_str());
            }
            if input.get("billing_properties").is_some() {
                user.billing_properties = properties(input.get("billing_properties"));
            }
            if let Some(hash) = password_hash {
                user.password_hash = hash;
            }
            if !attach.is_empty() || !detach.is_empty() {
                let permissions = &mut user.extra_mut().permissions;
                for name in attach {
                    if !permissions.iter().any(|p| **p == *name) {
                        permissions.push(name.into());
                    }
                }
                permissions.retain(|p| !detach.contains(&&**p));
            }
            user.updated_at = now;
        })
        .ok_or_else(|| super::login_gone(ctx, SchemaId::UserUpdate))?;
    Ok(Reply::json(StatusCode::OK, user.to_json()))
}

/// `DELETE /api/v1/billing/user/manage`: soft-delete; the login can be created again.
///
/// # Errors
/// A 422 (or 302) [`ApiError`] for invalid input or an unknown login.
pub fn delete(ctx: &RequestContext<'_>, input: &Value) -> Result<Reply, ApiError> {
    let login = super::existing_login(ctx, SchemaId::UserDelete, input)?;
    ctx.runtime
        .store
        .delete(login, ctx.runtime.now())
        .ok_or_else(|| super::login_gone(ctx, SchemaId::UserDelete))?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// The strings of a validated list (permission names).
fn names(value: Option<&Value>) -> Vec<&str> {
    value
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Creates a scenario's seed user (already validated when the scenario loaded).
pub fn seed(store: &Store, settings: &Settings, input: &Value) {
    // A seed can only fail if --max-users is below the number of seeds; then the surplus
    // seeds are dropped, as the store is full anyway.
    let _ = store.insert(build_user(store, settings.clock.now(), input), false);
}

fn build_user(store: &Store, now: Timestamp, input: &Value) -> User {
    User {
        id: 0,
        login: text(input, "login").into(),
        kind: text(input, "type").into(),
        status: text(input, "status").into(),
        billing_properties: properties(input.get("billing_properties")),
        billing_info: input
            .get("billing_info")
            .filter(|v| !v.is_null())
            .map(|v| v.to_string().into_boxed_str()),
        password_hash: store.hash_password(text(input, "password")),
        created_at: now,
        updated_at: now,
        deleted_at: None,
        extra: None,
    }
}

/// A validated string field (empty if absent, which validation has ruled out).
fn text<'a>(input: &'a Value, key: &str) -> &'a str {
    input.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// `billing_properties` as a list of pairs; a JSON object is walked by its values, as PHP
/// walks an associative array.
fn properties(value: Option<&Value>) -> Box<[Property]> {
    let items: Vec<&Value> = match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(map)) => map.values().collect(),
        _ => Vec::new(),
    };
    items
        .into_iter()
        .map(|item| Property {
            kind: text(item, "type").into(),
            value: text(item, "value").into(),
        })
        .collect()
}
