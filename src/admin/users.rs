//! `/__admin/users`: list, show, create, delete, and check a password.

use hyper::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{AdminContext, AdminError, AdminOk, json_body, ok};
use crate::api::{RequestContext, store_draft, validated_draft};
use crate::journal::redact;
use crate::store::{CAMERA_LISTS, Inserted, LICENSE_LEVELS, User};
use crate::validation::normalise;

/// The admin view of a user: the vendor's user object plus `billing_info` and the whole
/// lifecycle state. Never a password: the store keeps only a hash, and `billing_info` is
/// shown with every `password` key redacted.
#[derive(Serialize)]
struct UserView<'a> {
    id: u64,
    login: &'a str,
    name: Option<()>,
    #[serde(rename = "type")]
    kind: &'a str,
    status: &'a str,
    created_at: String,
    updated_at: String,
    deleted_at: Option<String>,
    can_update_password: bool,
    billing_properties: Vec<PropertyView<'a>>,
    billing_info: Value,
    permissions: Vec<Box<str>>,
    licenses: Map<String, Value>,
    cameras: Value,
    intercoms: Value,
}

#[derive(Serialize)]
struct PropertyView<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    value: &'a str,
}

fn view(user: &User) -> Value {
    let lifecycle = user.lifecycle();
    let mut billing_info = user
        .billing_info
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Value::Null);
    redact(&mut billing_info);
    let view = UserView {
        id: user.id,
        login: &user.login,
        name: None,
        kind: &user.kind,
        status: &user.status,
        created_at: user.created_at.to_string(),
        updated_at: user.updated_at.to_string(),
        deleted_at: user.deleted_at.map(|t| t.to_string()),
        can_update_password: false,
        billing_properties: user
            .billing_properties
            .iter()
            .map(|p| PropertyView {
                kind: &p.kind,
                value: &p.value,
            })
            .collect(),
        billing_info,
        permissions: lifecycle.permissions,
        licenses: LICENSE_LEVELS
            .iter()
            .zip(lifecycle.licenses)
            .map(|(name, n)| ((*name).to_owned(), json!(n)))
            .collect(),
        cameras: lifecycle.cameras.unwrap_or_else(|| {
            Value::Object(
                CAMERA_LISTS
                    .iter()
                    .map(|n| ((*n).to_owned(), json!([])))
                    .collect(),
            )
        }),
        intercoms: lifecycle.intercoms.unwrap_or_else(|| json!([])),
    };
    serde_json::to_value(view).unwrap_or(Value::Null)
}

fn no_user(login: &str) -> AdminError {
    AdminError::NotFound(format!("no user with login {login:?}"))
}

pub(super) fn list(ctx: &AdminContext<'_>) -> Result<AdminOk, AdminError> {
    let users: Vec<Value> = ctx
        .session
        .state()
        .store()
        .list()
        .iter()
        .map(view)
        .collect();
    ok(json!({ "users": users }))
}

pub(super) fn get(ctx: &AdminContext<'_>, login: &str) -> Result<AdminOk, AdminError> {
    match ctx.session.state().store().get_any(login) {
        Some(user) => ok(view(&user)),
        None => Err(no_user(login)),
    }
}

/// Creates a user through the create endpoint's validation: 201 for a new user, 200 when
/// the session upserts an existing one, the vendor's 422 otherwise.
pub(super) fn create(ctx: &AdminContext<'_>) -> Result<AdminOk, AdminError> {
    let mut input = match crate::php::json::decode(ctx.body) {
        Ok(crate::php::Value::Array(input)) if !input.is_list() || input.is_empty() => input,
        Ok(_) => {
            return Err(AdminError::BadRequest(
                "body must be a JSON object: a user create body".into(),
            ));
        }
        Err(e) => {
            return Err(AdminError::BadRequest(format!(
                "body is not valid JSON: {e}"
            )));
        }
    };
    normalise::normalise(&mut input, false);
    let state = ctx.session.state();
    let api = RequestContext {
        state: &state,
        schemas: ctx.schemas,
        // JSON, which is UTF-8 or no input.
        not_utf8: false,
    };
    let draft = validated_draft(&api, &input).map_err(AdminError::Invalid)?;
    match store_draft(&api, draft, Clone::clone).map_err(AdminError::Invalid)? {
        (Inserted::New, user) => Ok(AdminOk::Json(StatusCode::CREATED, view(&user))),
        (Inserted::Updated, user) => ok(view(&user)),
    }
}

pub(super) fn delete(ctx: &AdminContext<'_>, login: &str) -> Result<AdminOk, AdminError> {
    let state = ctx.session.state();
    if state.store().delete(login, state.now()) {
        Ok(AdminOk::Empty(StatusCode::NO_CONTENT))
    } else {
        Err(no_user(login))
    }
}

#[derive(Deserialize)]
struct PasswordCheck {
    password: String,
}

pub(super) fn password_check(ctx: &AdminContext<'_>, login: &str) -> Result<AdminOk, AdminError> {
    let body: PasswordCheck = json_body(ctx.body, "{\"password\": \"...\"}", |_| {
        "body: password: required, a string".into()
    })?;
    match ctx
        .session
        .state()
        .store()
        .password_matches(login, &body.password)
    {
        Some(matches) => ok(json!({ "matches": matches })),
        None => Err(no_user(login)),
    }
}
