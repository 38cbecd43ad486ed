//! `/api/v1/billing/user/manage`: the user resource.

use hyper::StatusCode;
use serde_json::Value;

use super::RequestContext;
use crate::error::ApiError;
use crate::reply::Reply;
use crate::state::AppState;
use crate::store::{Property, StoreError, User, render_head};
use crate::validation::{Rule, SchemaId};

/// `POST /api/v1/billing/user/manage`: validate, check the login is free, store, answer the
/// user object.
///
/// # Errors
/// A 422 (or 302) [`ApiError`] for invalid input or a taken login; a 500 when the store is
/// full.
pub fn create(
    state: &AppState,
    ctx: &RequestContext<'_>,
    input: &Value,
) -> Result<Reply, ApiError> {
    let schema = state.config.schemas.get(SchemaId::UserCreate);
    let mut failures = schema.validate(input);
    let login = text(input, "login");
    if !failures.has("login") && state.store.login_taken(login) {
        failures.push(schema.field_failure("login", Rule::Unique));
    }
    if !failures.is_empty() {
        return Err(ctx.validation_error(failures));
    }
    let now = ctx.settings.clock.now();
    let user = User {
        id: 0,
        login: login.into(),
        kind: text(input, "type").into(),
        status: text(input, "status").into(),
        billing_properties: properties(input.get("billing_properties")),
        billing_info: input
            .get("billing_info")
            .filter(|v| !v.is_null())
            .map(|v| v.to_string().into_boxed_str()),
        password_hash: state.store.hash_password(text(input, "password")),
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let mut tail = Vec::with_capacity(256);
    user.render_tail(&mut tail);
    match state.store.insert(user) {
        Ok(id) => {
            let mut body = Vec::with_capacity(tail.len() + 16);
            render_head(id, &mut body);
            body.extend_from_slice(&tail);
            Ok(Reply::json(StatusCode::OK, body))
        }
        Err(StoreError::LoginTaken) => {
            // Lost a race with a concurrent create of the same login.
            let mut failures = crate::validation::Failures::default();
            failures.push(schema.field_failure("login", Rule::Unique));
            Err(ctx.validation_error(failures))
        }
        Err(StoreError::Full(capacity)) => Err(ApiError::StoreFull { capacity }),
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
