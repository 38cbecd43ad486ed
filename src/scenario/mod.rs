//! Scenario files: the starting state and the rules that bend behaviour away from the
//! default (CONTRACT section 5).
//!
//! [`file`] reads the format (serde, strict, JSON-path errors); [`matching`] holds the rule
//! engine and its counters. This module owns the loaded model. It does not own the state a
//! scenario starts (see `session`).

mod fields;
mod file;
mod matching;
mod rules;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hyper::StatusCode;
use hyper::header::{HeaderName, HeaderValue};
use serde_json::Value;

use crate::clock::Timestamp;
use crate::store::{Licenses, UserDraft};
use crate::validation::{ErrorBag, Locale, Schemas};

pub(crate) use file::count_matcher;
pub(crate) use matching::{Decision, Matcher, RequestView, RuleEngine, trim_path};

/// The embedded `default` scenario: no seed users, no rules.
const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.json");

/// A loaded, validated scenario.
#[derive(Debug)]
pub struct Scenario {
    name: String,
    description: String,
    settings: ScenarioSettings,
    users: Vec<UserDraft>,
    rules: Vec<ScenarioRule>,
    /// The scenario as loaded, for `GET /__admin/scenario` (redacted when shown).
    source: Value,
}

impl Scenario {
    /// Loads one scenario file; a file without `name` is named after its stem.
    ///
    /// # Errors
    /// A [`ScenarioError`] naming the file, the JSON path and the problem.
    pub fn from_file(path: &Path, schemas: &Schemas) -> Result<Scenario, ScenarioError> {
        let source = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            source_name: source.clone(),
            path: String::new(),
            message: e.to_string(),
        })?;
        let fallback = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("scenario");
        file::parse(&source, &text, Some(fallback), schemas)
    }

    /// Parses a scenario document; `source` names it in errors. Without a file name to fall
    /// back on, `name` is required.
    ///
    /// # Errors
    /// A [`ScenarioError`] naming `source`, the JSON path and the problem.
    pub fn from_json(
        source: &str,
        text: &str,
        schemas: &Schemas,
    ) -> Result<Scenario, ScenarioError> {
        file::parse(source, text, None, schemas)
    }

    /// As [`Scenario::from_json`], for a document already parsed (the admin API).
    pub(crate) fn from_value(
        source: &str,
        doc: Value,
        schemas: &Schemas,
    ) -> Result<Scenario, ScenarioError> {
        file::from_value(source, doc, None, schemas)
    }

    /// The embedded `default` scenario.
    ///
    /// # Errors
    /// Only if the embedded file is broken, which the test suite rules out.
    pub(crate) fn embedded_default(schemas: &Schemas) -> Result<Scenario, ScenarioError> {
        file::parse(
            "<embedded>/scenarios/default.json",
            DEFAULT_SCENARIO,
            None,
            schemas,
        )
    }

    /// Its unique name, used to activate it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One line on what it is for.
    pub(crate) fn description(&self) -> &str {
        &self.description
    }

    /// Settings that override the command line.
    pub(crate) fn settings(&self) -> &ScenarioSettings {
        &self.settings
    }

    /// Seed users, validated; created at start and on every reset.
    pub(crate) fn users(&self) -> &[UserDraft] {
        &self.users
    }

    /// Rules, checked in order.
    pub(crate) fn rules(&self) -> &[ScenarioRule] {
        &self.rules
    }

    /// The document as loaded.
    pub(crate) fn source(&self) -> &Value {
        &self.source
    }
}

/// What to do when a create names a login that is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum OnDuplicateLogin {
    /// 422 `The login has already been taken.` (the real API).
    #[default]
    Reject,
    /// Update the existing user and answer it with 200.
    Upsert,
}

impl OnDuplicateLogin {
    /// Whether a create with a taken login updates that user.
    pub(crate) fn is_upsert(self) -> bool {
        self == OnDuplicateLogin::Upsert
    }
}

/// Scenario `settings`: each one given overrides the matching command-line flag.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ScenarioSettings {
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
    /// `licenses_available`: the pool per level; absent levels are unlimited.
    pub licenses_available: Option<Licenses>,
}

/// One rule: when `matcher` matches, `respond` answers (at most `times` times).
#[derive(Debug)]
pub(crate) struct ScenarioRule {
    /// Its `name`, or its index in `rules` when unnamed; shown in `X-Mock-Rule`.
    pub label: Arc<str>,
    /// `match`.
    pub matcher: Matcher,
    /// `times`.
    pub times: Option<u64>,
    /// `respond`.
    pub respond: Respond,
}

/// `respond`: what answers, and an optional delay.
#[derive(Debug, Clone)]
pub(crate) struct Respond {
    /// The answer.
    pub action: Action,
    /// `delay_ms`, applied before answering.
    pub delay: Option<Delay>,
}

/// The kinds of answer a rule can give.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    /// `delay_ms` alone: the default behaviour, delayed.
    Default,
    /// `errors`: a 422 in the Laravel envelope.
    Errors(ErrorBag),
    /// `status` with optional `body` and `headers`.
    Status {
        /// The status.
        status: StatusCode,
        /// The body, serialised; `None`: Laravel's default for the status.
        body: Option<bytes::Bytes>,
        /// Extra headers.
        headers: Vec<(HeaderName, HeaderValue)>,
    },
    /// `fault`.
    Fault(Fault),
}

/// Broken transport behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
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
    pub(crate) const NAMES: [&'static str; 4] = [
        "connection_reset",
        "empty_response",
        "malformed_json",
        "timeout",
    ];

    /// The name used in files and in the journal.
    pub(crate) fn name(&self) -> &'static str {
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
pub(crate) enum Delay {
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
    source_name: String,
    /// Where: `rules[2].respond.fault`; empty for the whole document.
    path: String,
    /// What is wrong, with the accepted values when there is a fixed set.
    message: String,
}

impl ScenarioError {
    pub(crate) fn new(source: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError {
            source_name: source.to_owned(),
            path: path.into(),
            message: message.into(),
        }
    }
}
