//! Scenario files: the starting state and the rules that bend behaviour away from the
//! default (CONTRACT section 5).
//!
//! Owns the file format (strict: unknown keys are errors), its validation with JSON-path
//! error messages, and the rule engine with its counters ([`matching`]). It does not own the
//! state a scenario starts (see `session`).

pub mod matching;
pub mod parse;

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use hyper::StatusCode;
use hyper::header::{HeaderName, HeaderValue};
use serde_json::Value;

use crate::clock::Timestamp;
use crate::validation::{ErrorBag, Locale, Schemas};

pub use matching::{Matcher, RuleEngine};
pub use parse::parse_scenario;

/// The embedded `default` scenario: no seed users, no rules.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.json");

/// A loaded, validated scenario.
#[derive(Debug)]
pub struct Scenario {
    /// Unique name, used to activate it.
    pub name: String,
    /// One line on what it is for.
    pub description: String,
    /// Settings that override the command line.
    pub settings: ScenarioSettings,
    /// Seed users, as create bodies; already validated.
    pub users: Vec<Value>,
    /// Rules, checked in order.
    pub rules: Vec<Rule>,
    /// The scenario as loaded, for `GET /__admin/scenario`.
    pub source: Value,
}

/// What to do when a create names a login that is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OnDuplicateLogin {
    /// 422 `The login has already been taken.` (the real API).
    #[default]
    Reject,
    /// Update the existing user and answer it with 200.
    Upsert,
}

/// Scenario `settings`: each one given overrides the matching command-line flag.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScenarioSettings {
    /// `locale`.
    pub locale: Option<Locale>,
    /// `strict_accept`.
    pub strict_accept: Option<bool>,
    /// `id_start`.
    pub id_start: Option<u64>,
    /// `clock`: a frozen instant.
    pub clock: Option<Timestamp>,
    /// `on_duplicate_login`.
    pub on_duplicate_login: Option<OnDuplicateLogin>,
    /// `licenses_available`: the pool per level (`analytic_l1..3`); absent levels are
    /// unlimited.
    pub licenses_available: Option<[Option<u64>; 3]>,
}

/// One rule: when `matcher` matches, `respond` answers (at most `times` times).
#[derive(Debug)]
pub struct Rule {
    /// Its `name`, or its index in `rules` when unnamed; shown in `X-Mock-Rule`.
    pub label: std::sync::Arc<str>,
    /// `match`.
    pub matcher: Matcher,
    /// `times`.
    pub times: Option<u64>,
    /// `respond`.
    pub respond: Respond,
}

/// `respond`: what answers, and an optional delay.
#[derive(Debug, Clone)]
pub struct Respond {
    /// The answer.
    pub action: Action,
    /// `delay_ms`, applied before answering.
    pub delay: Option<Delay>,
}

/// The kinds of answer a rule can give.
#[derive(Debug, Clone)]
pub enum Action {
    /// `delay_ms` alone: the default behaviour, delayed.
    Default,
    /// `errors`: a 422 in the Laravel envelope.
    Errors(ErrorBag),
    /// `status` with optional `body` and `headers`.
    Status {
        /// The status.
        status: StatusCode,
        /// The body, already serialised.
        body: Bytes,
        /// Extra headers.
        headers: Vec<(HeaderName, HeaderValue)>,
    },
    /// `fault`.
    Fault(Fault),
}

/// Broken transport behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Close the connection with a TCP reset, answering nothing.
    ConnectionReset,
    /// Close the connection cleanly, answering nothing.
    EmptyResponse,
    /// A 200 whose JSON body is cut off halfway.
    MalformedJson,
    /// Hold the request open, answering nothing, then close.
    Timeout {
        /// `hold_ms`.
        hold: Duration,
    },
}

impl Fault {
    /// The names accepted in `respond.fault`.
    pub const NAMES: [&'static str; 4] = [
        "connection_reset",
        "empty_response",
        "malformed_json",
        "timeout",
    ];

    /// The name used in files and in the journal.
    pub fn name(&self) -> &'static str {
        match self {
            Fault::ConnectionReset => "connection_reset",
            Fault::EmptyResponse => "empty_response",
            Fault::MalformedJson => "malformed_json",
            Fault::Timeout { .. } => "timeout",
        }
    }
}

/// `delay_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delay {
    /// Always this many milliseconds.
    Fixed(u64),
    /// Uniform in `min..=max`, drawn from the rule's seeded generator.
    Range {
        /// Lower bound.
        min: u64,
        /// Upper bound.
        max: u64,
    },
}

/// Why a scenario could not be loaded: the source, the JSON path and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {}{message}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
pub struct ScenarioError {
    /// The file, or `scenario` for one sent to the admin API.
    pub source_name: String,
    /// Where: `rules[2].respond.fault`; empty for the whole document.
    pub path: String,
    /// What is wrong, with the accepted values when there is a fixed set.
    pub message: String,
}

/// Loads one scenario file.
///
/// # Errors
/// A [`ScenarioError`] naming the file, the place and the problem.
pub fn load_file(path: &Path, schemas: &Schemas) -> Result<Scenario, ScenarioError> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        source_name: source.clone(),
        path: String::new(),
        message: e.to_string(),
    })?;
    let fallback = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario")
        .to_owned();
    parse_scenario(&source, &text, Some(&fallback), schemas)
}

/// The embedded `default` scenario.
///
/// # Errors
/// Only if the embedded file is broken, which the test suite rules out.
pub fn default_scenario(schemas: &Schemas) -> Result<Scenario, ScenarioError> {
    parse_scenario(
        "<embedded>/scenarios/default.json",
        DEFAULT_SCENARIO,
        None,
        schemas,
    )
}
