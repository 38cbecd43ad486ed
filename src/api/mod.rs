//! The vendor's API: one module per resource, thin handlers over validation and the store.
//!
//! A handler takes the session's state and the request's normalised input and returns a
//! domain outcome ([`Success`] or [`ApiError`]); turning it into bytes is the reply stage's
//! job, so nothing here knows about HTTP bodies or content negotiation.

mod cameras;
mod intercoms;
mod licenses;
mod users;

use hyper::{Method, StatusCode};

use crate::php::{Array, Value, has_replacement};
use crate::session::SessionState;
use crate::store::{StoreError, User};
use crate::validation::{ErrorBag, Overload, Rule, SchemaId, Schemas, field_failure};

pub(crate) use users::{store_draft, validated_draft};

/// The vendor's endpoints (the router finds them; [`handle`] runs them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `POST /api/v1/billing/user/manage`: create a user.
    UserCreate,
    /// `PATCH /api/v1/billing/user/manage`: update a user.
    UserUpdate,
    /// `DELETE /api/v1/billing/user/manage`: soft-delete a user.
    UserDelete,
    /// `POST /api/v1/billing/user/manage/licenses`: set analytics licences.
    LicensesSet,
    /// `POST /api/v1/billing/user/manage/licenses/check`: check analytics licences.
    LicensesCheck,
    /// `POST /api/v1/billing/user/manage/cameras`: sync cameras.
    Cameras,
    /// `POST /api/v1/billing/user/manage/intercoms`: sync intercoms.
    Intercoms,
}

/// Methods as Laravel lists them in `Allow` and in its 405 message.
pub(crate) fn method_list(methods: &[Method], separator: &str) -> String {
    methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(separator)
}

impl Endpoint {
    /// The endpoint's name in metrics and logs.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Endpoint::UserCreate => "user_create",
            Endpoint::UserUpdate => "user_update",
            Endpoint::UserDelete => "user_delete",
            Endpoint::LicensesSet => "licenses_set",
            Endpoint::LicensesCheck => "licenses_check",
            Endpoint::Cameras => "cameras",
            Endpoint::Intercoms => "intercoms",
        }
    }
}

/// What a handler needs besides its input.
pub(crate) struct RequestContext<'a> {
    /// The session's state: settings, users, clock.
    pub state: &'a SessionState,
    /// The compiled schemas.
    pub schemas: &'a Schemas,
    /// Whether the input had form or query bytes that are not UTF-8
    /// ([`crate::http::input::LaravelRequest::not_utf8`]).
    pub not_utf8: bool,
}

/// A successful vendor answer, before rendering.
#[derive(Debug)]
pub(crate) enum Success {
    /// `200` and the user object, rendered while it was stored ([`User::vendor_json`]).
    User(Vec<u8>),
    /// `204 No Content`.
    NoContent,
    /// `200` and `{"analytic_l1": true, ...}` with the requested levels, in level order.
    LicenseCheck(Vec<(&'static str, bool)>),
}

/// Everything that stops a vendor request from succeeding. Each variant is an answer the
/// vendor's Laravel backend gives; [`ApiError::status`] says which.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum ApiError {
    /// Unknown path.
    #[error("the route {path} could not be found")]
    NotFound {
        /// Laravel's form of the path: no leading or trailing slash.
        path: String,
    },
    /// A POST whose method override is not a method (`_method=PAT CH`): Symfony's
    /// `SuspiciousOperationException`, which Laravel turns into a 404.
    #[error("invalid HTTP method override")]
    BadMethodOverride,
    /// Known path, unserved method.
    #[error("the {method} method is not supported for route {path}")]
    MethodNotAllowed {
        /// The request's method.
        method: Method,
        /// Laravel's form of the path.
        path: String,
        /// What the path serves.
        allowed: &'static [Method],
    },
    /// The body is over `--max-body-bytes`.
    #[error("payload too large")]
    PayloadTooLarge,
    /// Validation failed.
    #[error("validation failed")]
    Validation(ErrorBag),
    /// The input is more than Laravel could validate within PHP's limits.
    #[error("input too large to validate")]
    Overloaded,
    /// The user store reached a bound (`--max-users` or `--max-store-bytes`).
    #[error("the user {0}")]
    StoreFull(StoreError),
    /// A value to store held form or query bytes that are not UTF-8: the database refuses
    /// it (MySQL's utf8mb4 in strict mode; the reference app's JSON encoding of the answer
    /// fails the same way), so Laravel answers 500 and nothing is stored.
    #[error("a value to store is not UTF-8")]
    NotUtf8Stored,
    /// A failed validation naming a field by bytes that are not UTF-8: Laravel cannot
    /// JSON-encode the 422 and answers 500. A client that is redirected still gets the 302
    /// (the session keeps bytes).
    #[error("a failed field's name is not UTF-8")]
    NotUtf8Errors(ErrorBag),
}

impl ApiError {
    /// The status the vendor's backend answers with (for JSON clients).
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound { .. } | ApiError::BadMethodOverride => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::StoreFull(_)
            | ApiError::Overloaded
            | ApiError::NotUtf8Stored
            | ApiError::NotUtf8Errors(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<Overload> for ApiError {
    fn from(_: Overload) -> Self {
        ApiError::Overloaded
    }
}

/// The outcome of one vendor request.
pub(crate) type Outcome = Result<Success, ApiError>;

/// Runs an endpoint's handler on its normalised input.
pub(crate) fn handle(ctx: &RequestContext<'_>, endpoint: Endpoint, input: &Array) -> Outcome {
    match endpoint {
        Endpoint::UserCreate => users::create(ctx, input),
        Endpoint::UserUpdate => users::update(ctx, input),
        Endpoint::UserDelete => users::delete(ctx, input),
        Endpoint::LicensesSet => licenses::set(ctx, input),
        Endpoint::LicensesCheck => licenses::check(ctx, input),
        Endpoint::Cameras => cameras::sync(ctx, input),
        Endpoint::Intercoms => intercoms::sync(ctx, input),
    }
}

impl RequestContext<'_> {
    fn locale(&self) -> crate::validation::Locale {
        self.state.settings().locale
    }

    /// Applies `change` to the active user with this login and returns `view` of the result.
    ///
    /// # Errors
    /// 422 when the login went away since validation; 500 when the store has no room.
    fn modify<R>(
        &self,
        login: &str,
        change: impl FnOnce(&mut User),
        view: impl FnOnce(&User) -> R,
    ) -> Result<R, ApiError> {
        match self.state.store().modify(login, change, view) {
            Ok(Some(viewed)) => Ok(viewed),
            Ok(None) => Err(self.login_gone()),
            Err(e) => Err(ApiError::StoreFull(e)),
        }
    }

    /// Whether an active user has this login (Laravel's `unique` / `exists` query). A login
    /// of bytes that are not UTF-8 is nobody's: no stored login has them.
    fn taken(&self, login: &str) -> bool {
        !(self.not_utf8 && has_replacement(login)) && self.state.store().login_taken(login)
    }

    /// Validates the input of an endpoint that acts on an existing user: the schema's rules
    /// and Laravel's `exists` on `login` (an unknown or deleted login is
    /// `The selected login is invalid.`). Returns the login.
    fn existing_login<'i>(&self, id: SchemaId, input: &'i Array) -> Result<&'i str, ApiError> {
        let bag = self
            .schemas
            .get(id)
            .validate_with_store(input, self.locale(), &|login| self.taken(login))?;
        if !bag.is_empty() {
            return Err(ApiError::Validation(bag));
        }
        Ok(input
            .get_str("login")
            .and_then(Value::as_str)
            .unwrap_or_default())
    }

    /// A 422 with one failure on a top-level field found outside validation.
    fn field_error(&self, field: &str, rule: Rule, numeric: bool) -> ApiError {
        ApiError::Validation(field_failure(field, &rule, numeric, self.locale()))
    }

    /// The `exists` failure on `login`, for a user deleted between validation and the change.
    fn login_gone(&self) -> ApiError {
        self.field_error("login", Rule::Exists, false)
    }
}
