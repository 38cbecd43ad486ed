//! The scenario file format, read with serde: every object denies unknown keys, every error
//! names its JSON path (`serde_path_to_error`) and, where there is a fixed set, the accepted
//! values. Hand code is left only for what serde cannot say: the rules that tie fields
//! together (one answer kind, `nth` xor `every`, `seed` needs `probability`, ...), the body
//! matcher's operator objects, and seed users, which go through the create validation.

use std::collections::HashSet;

use hyper::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::fields::{
    FaultName, fault, instant, kind, locale, method, on_duplicate_login, present, probability,
    ranged, read,
};
use super::matching::Matcher;
use super::{OnDuplicateLogin, Scenario, ScenarioError, ScenarioSettings};
use crate::clock::Timestamp;
use crate::store::UserDraft;
use crate::validation::{Locale, SchemaId, Schemas, normalise};

/// Default `hold_ms` of the `timeout` fault.
pub(super) const DEFAULT_HOLD_MS: u64 = 30_000;
/// Largest `delay_ms` or `hold_ms` accepted: ten minutes.
pub(super) const MAX_WAIT_MS: u64 = 600_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
struct FileDoc {
    name: Option<String>,
    description: Option<String>,
    settings: Option<FileSettings>,
    users: Option<Vec<Value>>,
    rules: Option<Vec<FileRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
struct FileSettings {
    #[serde(default, deserialize_with = "locale")]
    locale: Option<Locale>,
    strict_accept: Option<bool>,
    #[serde(default, deserialize_with = "ranged::<_, 0, { u64::MAX / 2 }>")]
    id_start: Option<u64>,
    #[serde(default, deserialize_with = "instant")]
    clock: Option<Timestamp>,
    #[serde(default, deserialize_with = "on_duplicate_login")]
    on_duplicate_login: Option<OnDuplicateLogin>,
    licenses_available: Option<FileLicenses>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
struct FileLicenses {
    #[serde(default, deserialize_with = "ranged::<_, 0, { u64::MAX }>")]
    analytic_l1: Option<u64>,
    #[serde(default, deserialize_with = "ranged::<_, 0, { u64::MAX }>")]
    analytic_l2: Option<u64>,
    #[serde(default, deserialize_with = "ranged::<_, 0, { u64::MAX }>")]
    analytic_l3: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
pub(super) struct FileRule {
    pub(super) name: Option<String>,
    #[serde(rename = "match")]
    pub(super) matcher: Option<FileMatch>,
    #[serde(default, deserialize_with = "ranged::<_, 1, { u64::MAX }>")]
    pub(super) times: Option<u64>,
    /// Required: read in document order, so a rule without it is the first error reported.
    pub(super) respond: FileRespond,
}

/// A rule's `match`: the request parts, and the counters only rules have.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
pub(super) struct FileMatch {
    #[serde(default, deserialize_with = "method")]
    pub(super) method: Option<Method>,
    #[serde(default, deserialize_with = "present")]
    pub(super) path: Option<Value>,
    pub(super) headers: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "present")]
    pub(super) body: Option<Value>,
    #[serde(default, deserialize_with = "ranged::<_, 1, { u64::MAX }>")]
    pub(super) nth: Option<u64>,
    #[serde(default, deserialize_with = "ranged::<_, 1, { u64::MAX }>")]
    pub(super) every: Option<u64>,
    #[serde(default, deserialize_with = "probability")]
    pub(super) probability: Option<f64>,
    #[serde(default, deserialize_with = "ranged::<_, 0, { u64::MAX }>")]
    pub(super) seed: Option<u64>,
}

/// The `match` of `POST /__admin/requests/count`: the request parts only, no counters.
/// (serde cannot deny unknown keys through `flatten`, hence the repeated fields.)
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
struct CountMatch {
    #[serde(default, deserialize_with = "method")]
    method: Option<Method>,
    #[serde(default, deserialize_with = "present")]
    path: Option<Value>,
    headers: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "present")]
    body: Option<Value>,
}

/// The request parts of a `match`, common to rules and journal counts.
pub(super) struct MatchParts {
    pub(super) method: Option<Method>,
    pub(super) path: Option<Value>,
    pub(super) headers: Option<Map<String, Value>>,
    pub(super) body: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
pub(super) struct FileRespond {
    #[serde(default, deserialize_with = "present")]
    pub(super) errors: Option<Value>,
    #[serde(default, deserialize_with = "ranged::<_, 200, 599>")]
    pub(super) status: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    pub(super) body: Option<Value>,
    pub(super) headers: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "fault")]
    pub(super) fault: Option<FaultName>,
    #[serde(default, deserialize_with = "ranged::<_, 0, MAX_WAIT_MS>")]
    pub(super) hold_ms: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    pub(super) delay_ms: Option<Value>,
}

/// Parses and validates a scenario document. `fallback_name` names a scenario without
/// `name` (the file stem); without it `name` is required.
pub(super) fn parse(
    source: &str,
    text: &str,
    fallback_name: Option<&str>,
    schemas: &Schemas,
) -> Result<Scenario, ScenarioError> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| ScenarioError::new(source, "", format!("not valid JSON: {e}")))?;
    from_value(source, doc, fallback_name, schemas)
}

/// As [`parse`], for a document already parsed.
pub(super) fn from_value(
    source: &str,
    doc: Value,
    fallback_name: Option<&str>,
    schemas: &Schemas,
) -> Result<Scenario, ScenarioError> {
    let file: FileDoc = read(source, "", &doc)?;
    let err = |path: &str, message: String| ScenarioError::new(source, path, message);
    let name = match file.name.or_else(|| fallback_name.map(str::to_owned)) {
        Some(name) => name,
        None => return Err(err("name", "required: every scenario needs a name".into())),
    };
    if name.is_empty()
        || name.len() > 100
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(err(
            "name",
            format!("{name:?} is not a valid name: use 1-100 letters, digits, '-', '_' or '.'"),
        ));
    }
    let settings = file
        .settings
        .map(FileSettings::into_settings)
        .unwrap_or_default();
    let users = seed_users(source, file.users.unwrap_or_default(), &settings, schemas)?;
    let rules = file
        .rules
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, rule)| rule.into_rule(source, i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Scenario {
        name,
        description: file.description.unwrap_or_default(),
        settings,
        users,
        rules,
        source: doc,
    })
}

/// Reads the `match` of a journal count (no counters), at `path` in `source`.
pub(crate) fn count_matcher(
    source: &str,
    path: &str,
    doc: &Value,
) -> Result<Matcher, ScenarioError> {
    let m: CountMatch = read(source, path, doc)?;
    let parts = MatchParts {
        method: m.method,
        path: m.path,
        headers: m.headers,
        body: m.body,
    };
    parts.into_matcher(source, path)
}

// ---- conversion into the model, with the cross-field rules --------------------------------

impl FileSettings {
    fn into_settings(self) -> ScenarioSettings {
        ScenarioSettings {
            locale: self.locale,
            strict_accept: self.strict_accept,
            id_start: self.id_start,
            clock: self.clock,
            on_duplicate_login: self.on_duplicate_login,
            licenses_available: self
                .licenses_available
                .map(|l| [l.analytic_l1, l.analytic_l2, l.analytic_l3]),
        }
    }
}

/// Seed users go through the create endpoint's validation, so a bad one fails the load with
/// the message the API would give, at `users[i].field`.
fn seed_users(
    source: &str,
    users: Vec<Value>,
    settings: &ScenarioSettings,
    schemas: &Schemas,
) -> Result<Vec<UserDraft>, ScenarioError> {
    let schema = schemas.get(SchemaId::UserCreate);
    let locale = settings.locale.unwrap_or_default();
    let mut seen = HashSet::new();
    let mut drafts = Vec::with_capacity(users.len());
    for (i, user) in users.into_iter().enumerate() {
        let path = format!("users[{i}]");
        let crate::php::Value::Array(mut input) = crate::php::from_json(&user) else {
            return Err(ScenarioError::new(
                source,
                path,
                format!("expected an object, found {}", kind(&user)),
            ));
        };
        if !user.is_object() {
            return Err(ScenarioError::new(
                source,
                path,
                format!("expected an object, found {}", kind(&user)),
            ));
        }
        normalise::normalise(&mut input, false);
        let failures = schema
            .validate(&input, locale)
            .map_err(|_| ScenarioError::new(source, &path, "too large to validate"))?;
        if let Some((field, messages)) = failures.into_fields().next() {
            let message = messages.into_iter().next().unwrap_or_default();
            return Err(ScenarioError::new(
                source,
                format!("{path}.{field}"),
                message,
            ));
        }
        let draft = UserDraft::from_create_input(&input, Timestamp::from_unix_seconds(0));
        if !seen.insert(draft.login.to_lowercase()) {
            return Err(ScenarioError::new(
                source,
                format!("{path}.login"),
                "The login has already been taken.",
            ));
        }
        drafts.push(draft);
    }
    Ok(drafts)
}

#[cfg(test)]
mod tests {
    use super::super::{Action, Delay};
    use super::*;

    fn load(doc: &str) -> Result<Scenario, String> {
        let schemas = Schemas::embedded().expect("embedded schemas");
        parse("t.json", doc, Some("t"), &schemas).map_err(|e| e.to_string())
    }

    #[test]
    fn a_full_scenario_loads_into_the_model() {
        let s = load(
            r#"{"name": "x", "description": "d", "settings": {"locale": "ru", "id_start": 5,
                "clock": "2023-05-02T10:18:50Z", "on_duplicate_login": "upsert",
                "licenses_available": {"analytic_l2": 3}},
               "users": [{"login": " a@b.c ", "password": "p", "type": "t", "status": "s"}],
               "rules": [{"name": "slow", "match": {"method": "post", "every": 2},
                          "times": 3, "respond": {"delay_ms": {"min": 1, "max": 2}}},
                         {"respond": {"status": 429, "headers": {"Retry-After": 1}}}]}"#,
        )
        .unwrap();
        assert_eq!(s.name(), "x");
        assert_eq!(s.settings().locale, Some(Locale::Ru));
        assert_eq!(s.settings().licenses_available, Some([None, Some(3), None]));
        assert_eq!(&*s.users()[0].login, "a@b.c");
        assert_eq!(&*s.rules()[1].label, "1");
        assert_eq!(s.rules()[0].matcher.method, Some(Method::POST));
        assert_eq!(
            s.rules()[0].respond.delay,
            Some(Delay::Range { min: 1, max: 2 })
        );
        assert!(matches!(
            &s.rules()[1].respond.action,
            Action::Status { status, body: None, headers } if *status == 429 && headers.len() == 1
        ));
    }

    #[test]
    fn errors_name_the_path_the_problem_and_the_accepted_values() {
        for (doc, expected) in [
            (
                r#"{"rules": [{"respond": {"status": 500}, "tims": 2}]}"#,
                "t.json: rules[0].tims: unknown key \"tims\", expected one of name, match, times, respond",
            ),
            (
                r#"{"settings": {"locale": "de"}}"#,
                "t.json: settings.locale: unknown locale \"de\", expected one of en, ru",
            ),
            (
                r#"{"settings": {"licenses_available": {"analytic_l4": 1}}}"#,
                "t.json: settings.licenses_available.analytic_l4: unknown key \"analytic_l4\", expected one of analytic_l1, analytic_l2, analytic_l3",
            ),
            (
                r#"{"name": 5}"#,
                "t.json: name: expected a string, found a number",
            ),
            (
                r#"{"rules": {}}"#,
                "t.json: rules: expected an array, found an object",
            ),
            (
                r#"{"rules": [{"respond": {"fault": 1}}]}"#,
                "t.json: rules[0].respond.fault: expected a string, found a number",
            ),
            (
                r#"{"rules": [{"match": {"seed": 1}, "respond": {"status": 500}}]}"#,
                "t.json: rules[0].match.seed: seed only applies with probability",
            ),
            (
                r#"{"rules": [{"match": {"nth": 1, "every": 2}, "respond": {"status": 500}}]}"#,
                "t.json: rules[0].match: nth and every cannot be combined: use one",
            ),
            (
                r#"{"rules": [{"match": {"body": {"a": {"regex": "("}}}, "respond": {"status": 500}}]}"#,
                "t.json: rules[0].match.body.a.regex: invalid regex: error: unclosed group",
            ),
            (
                r#"{"rules": [{"respond": {"body": {}}}]}"#,
                "t.json: rules[0].respond.body: only applies with status",
            ),
            (
                r#"{"rules": [{"respond": {"errors": {"login": []}}}]}"#,
                "t.json: rules[0].respond.errors.login: expected a message or a non-empty list of messages",
            ),
            (
                r#"{"users": [{"login": "a"}]}"#,
                "t.json: users[0].password: The password field is required.",
            ),
            (
                r#"{"name": "a b"}"#,
                "t.json: name: \"a b\" is not a valid name: use 1-100 letters, digits, '-', '_' or '.'",
            ),
        ] {
            assert_eq!(load(doc).unwrap_err(), expected, "{doc}");
        }
    }

    #[test]
    fn count_matchers_take_no_counters() {
        let doc = serde_json::json!({"nth": 2});
        assert_eq!(
            count_matcher("body", "match", &doc)
                .unwrap_err()
                .to_string(),
            "body: match.nth: unknown key \"nth\", expected one of method, path, headers, body"
        );
        let ok = serde_json::json!({"method": "GET", "body": {"login": {"exists": true}}});
        assert!(count_matcher("body", "match", &ok).is_ok());
    }
}
