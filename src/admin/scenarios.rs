//! `/__admin/scenarios`, `/__admin/scenario`, `/__admin/reset` and `/__admin/clock`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{AdminContext, AdminError, AdminOk, json_any, json_body, ok};
use crate::clock::{Clock, Timestamp};
use crate::journal::redact;
use crate::scenario::Scenario;

pub(super) fn reset(ctx: &AdminContext<'_>) -> Result<AdminOk, AdminError> {
    ok(json!({"status": "reset", "users": ctx.session.reset()}))
}

fn clock_view(clock: Clock) -> Value {
    match clock {
        Clock::Frozen(t) => json!({"clock": t.to_string(), "frozen": true}),
        Clock::System => json!({"clock": Clock::System.now().to_string(), "frozen": false}),
    }
}

pub(super) fn get_clock(ctx: &AdminContext<'_>) -> Result<AdminOk, AdminError> {
    ok(clock_view(ctx.session.state().clock()))
}

#[derive(Deserialize)]
struct ClockBody {
    /// An RFC 3339 instant, or `null` for real time. Required: `Option` tells a missing key
    /// (`None`) from an explicit null (`Some(Value::Null)`).
    #[serde(default, deserialize_with = "present")]
    clock: Option<Value>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

pub(super) fn set_clock(ctx: &AdminContext<'_>) -> Result<AdminOk, AdminError> {
    let expected = "{\"clock\": \"2023-05-02T10:18:50Z\" or null}";
    let required =
        || AdminError::BadRequest("body: clock: required, an RFC 3339 instant or null".into());
    let body: ClockBody = json_body(ctx.body, expected, |e| e.to_string())?;
    let clock = match body.clock.ok_or_else(required)? {
        Value::Null => Clock::System,
        Value::String(text) => Clock::Frozen(
            Timestamp::parse_rfc3339(&text)
                .map_err(|e| AdminError::BadRequest(format!("body: clock: {e}")))?,
        ),
        _ => return Err(required()),
    };
    ctx.session.state().set_clock(clock);
    ok(clock_view(clock))
}

pub(super) fn list(ctx: &AdminContext<'_>) -> Result<AdminOk, AdminError> {
    let (scenarios, active) = ctx.session.scenarios();
    let list: Vec<Value> = scenarios
        .iter()
        .map(|s| {
            json!({"name": s.name(), "description": s.description(),
                   "users": s.users().len(), "rules": s.rules().len()})
        })
        .collect();
    ok(json!({"active": active, "scenarios": list}))
}

/// The active scenario as loaded, with every `password` redacted (seed users carry them).
pub(super) fn get(ctx: &AdminContext<'_>) -> Result<AdminOk, AdminError> {
    let mut source = ctx.session.state().scenario().source().clone();
    redact(&mut source);
    ok(source)
}

/// The active scenario's rules in order, with how many requests each matched (`seen`, what
/// `nth` and `every` count) and answered.
pub(super) fn rule_counts(ctx: &AdminContext<'_>) -> Result<AdminOk, AdminError> {
    let state = ctx.session.state();
    let rules: Vec<Value> = state
        .rules()
        .counts()
        .into_iter()
        .map(|c| json!({"label": &*c.label, "seen": c.seen, "answered": c.answered, "times": c.times}))
        .collect();
    ok(json!({"scenario": state.scenario().name(), "rules": rules}))
}

pub(super) fn put(ctx: &AdminContext<'_>) -> Result<AdminOk, AdminError> {
    let doc = json_any(ctx.body)?;
    let scenario = Scenario::from_value("scenario", doc, ctx.schemas)
        .map_err(|e| AdminError::BadRequest(e.to_string()))?;
    let name = scenario.name().to_owned();
    let users = ctx.session.install(scenario);
    ok(json!({"active": name, "users": users}))
}

pub(super) fn activate(ctx: &AdminContext<'_>, name: &str) -> Result<AdminOk, AdminError> {
    match ctx.session.activate(name) {
        Some(users) => ok(json!({"active": name, "users": users})),
        None => {
            let (scenarios, _) = ctx.session.scenarios();
            let names: Vec<&str> = scenarios.iter().map(|s| s.name()).collect();
            Err(AdminError::NotFound(format!(
                "no scenario named {name:?}; loaded: {}",
                names.join(", ")
            )))
        }
    }
}
