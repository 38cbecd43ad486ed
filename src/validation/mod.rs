//! Compiled JSON Schemas and their translation into Laravel validation failures.
//!
//! Each endpoint has one JSON Schema (`schemas/*.schema.json`, compiled in; `--schemas DIR`
//! replaces them). A schema is compiled once at start. At request time the `jsonschema`
//! crate reports which keyword failed where; this module turns that into what Laravel's
//! validator would say:
//! - one message per field, from the first failing rule (`required` first, then the keywords
//!   in the order the field's schema lists them);
//! - Laravel's `required` (a required key that is null, blank, `[]` or `{}` fails it too);
//! - fields ordered as Laravel orders its rules: plain fields in schema order, then fields
//!   reached through a wildcard (`items`, `additionalProperties`), element by element.
//!
//! It owns no state; `unique`/`exists` checks against the store happen in the handlers, which
//! add their failures with [`Failures::push`].

mod messages;
pub(crate) mod normalise;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use serde_json::Value;

pub use messages::Locale;
pub(crate) use messages::Rule;

/// The endpoints that have a schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SchemaId {
    /// `POST /api/v1/billing/user/manage`.
    UserCreate,
    /// `PATCH /api/v1/billing/user/manage`.
    UserUpdate,
    /// `DELETE /api/v1/billing/user/manage`.
    UserDelete,
    /// `POST /api/v1/billing/user/manage/licenses`.
    Licenses,
    /// `POST /api/v1/billing/user/manage/licenses/check`.
    LicensesCheck,
    /// `POST /api/v1/billing/user/manage/cameras`.
    Cameras,
    /// `POST /api/v1/billing/user/manage/intercoms`.
    Intercoms,
}

impl SchemaId {
    /// Every schema, in the order `check` reports them.
    pub const ALL: [SchemaId; 7] = [
        SchemaId::UserCreate,
        SchemaId::UserUpdate,
        SchemaId::UserDelete,
        SchemaId::Licenses,
        SchemaId::LicensesCheck,
        SchemaId::Cameras,
        SchemaId::Intercoms,
    ];

    /// The file name under `schemas/` (and under a `--schemas` folder).
    pub fn file_name(self) -> &'static str {
        match self {
            SchemaId::UserCreate => "user-create.schema.json",
            SchemaId::UserUpdate => "user-update.schema.json",
            SchemaId::UserDelete => "user-delete.schema.json",
            SchemaId::Licenses => "licenses.schema.json",
            SchemaId::LicensesCheck => "licenses-check.schema.json",
            SchemaId::Cameras => "cameras.schema.json",
            SchemaId::Intercoms => "intercoms.schema.json",
        }
    }

    fn embedded(self) -> &'static str {
        match self {
            SchemaId::UserCreate => include_str!("../../schemas/user-create.schema.json"),
            SchemaId::UserUpdate => include_str!("../../schemas/user-update.schema.json"),
            SchemaId::UserDelete => include_str!("../../schemas/user-delete.schema.json"),
            SchemaId::Licenses => include_str!("../../schemas/licenses.schema.json"),
            SchemaId::LicensesCheck => include_str!("../../schemas/licenses-check.schema.json"),
            SchemaId::Cameras => include_str!("../../schemas/cameras.schema.json"),
            SchemaId::Intercoms => include_str!("../../schemas/intercoms.schema.json"),
        }
    }

    /// The endpoint a schema file is for, by its name.
    ///
    /// # Errors
    /// [`SchemaError::UnknownFile`] listing the accepted names.
    pub(crate) fn of_file(path: &Path) -> Result<SchemaId, SchemaError> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        Self::ALL
            .into_iter()
            .find(|id| id.file_name() == name)
            .ok_or_else(|| SchemaError::UnknownFile {
                expected: Self::ALL.map(SchemaId::file_name).join(", "),
                path: path.to_owned(),
            })
    }
}

/// Why a schema file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("{path}: not valid JSON: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// Where and why parsing failed.
        source: serde_json::Error,
    },
    /// The JSON is not a usable JSON Schema.
    #[error("{path}: invalid JSON Schema at {pointer}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Where in the schema.
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// A file in a `--schemas` folder matches no endpoint.
    #[error("{path}: unknown schema file, expected one of {expected}")]
    UnknownFile {
        /// The file.
        path: PathBuf,
        /// The accepted names.
        expected: String,
    },
}

/// Every endpoint's compiled schema.
pub struct Schemas {
    compiled: Vec<CompiledSchema>,
}

impl fmt::Debug for Schemas {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.compiled.iter().map(|c| c.id))
            .finish()
    }
}

impl Schemas {
    /// The schemas compiled into the binary.
    ///
    /// # Errors
    /// Only if an embedded schema is broken, which the test suite rules out.
    pub fn embedded() -> Result<Self, SchemaError> {
        Self::with_overrides(HashMap::new())
    }

    /// The embedded schemas, each replaced by the file of the same name among `files` (the
    /// `*.json` files of a `--schemas` folder). A file whose name matches no endpoint is an
    /// error, so a typo cannot silently leave the default in force.
    ///
    /// # Errors
    /// Names the file and the problem.
    pub(crate) fn from_files(files: &[PathBuf]) -> Result<Self, SchemaError> {
        let mut overrides = HashMap::new();
        for path in files {
            let id = SchemaId::of_file(path)?;
            overrides.insert(id, (path.clone(), read_schema_file(path)?));
        }
        Self::with_overrides(overrides)
    }

    fn with_overrides(
        mut overrides: HashMap<SchemaId, (PathBuf, Value)>,
    ) -> Result<Self, SchemaError> {
        let mut compiled = Vec::with_capacity(SchemaId::ALL.len());
        for id in SchemaId::ALL {
            let (path, document) = match overrides.remove(&id) {
                Some(found) => found,
                None => {
                    let path = PathBuf::from(format!("<embedded>/schemas/{}", id.file_name()));
                    let document = parse_schema(&path, id.embedded())?;
                    (path, document)
                }
            };
            compiled.push(CompiledSchema::compile(id, &path, document)?);
        }
        Ok(Schemas { compiled })
    }

    /// The compiled schema of one endpoint.
    pub(crate) fn get(&self, id: SchemaId) -> &CompiledSchema {
        // `compiled` holds every id of `SchemaId::ALL`, in that order.
        &self.compiled[id as usize]
    }
}

/// Reads and parses one schema file.
///
/// # Errors
/// Names the file and the problem.
pub(crate) fn read_schema_file(path: &Path) -> Result<Value, SchemaError> {
    let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_schema(path, &text)
}

fn parse_schema(path: &Path, text: &str) -> Result<Value, SchemaError> {
    serde_json::from_str(text).map_err(|source| SchemaError::Json {
        path: path.to_owned(),
        source,
    })
}

/// Reads and compiles one schema file as `--schemas` would (for `check`).
///
/// # Errors
/// Names the file and the problem.
pub(crate) fn check_schema_file(path: &Path) -> Result<(), SchemaError> {
    let id = SchemaId::of_file(path)?;
    CompiledSchema::compile(id, path, read_schema_file(path)?).map(|_| ())
}

/// One endpoint's schema, compiled, with the Laravel rule order derived from it.
pub(crate) struct CompiledSchema {
    id: SchemaId,
    document: Value,
    validator: Validator,
    /// Rule key (`login`, `billing_properties.*.type`) to its rank in Laravel's rule order.
    rank: HashMap<String, usize>,
}

impl CompiledSchema {
    fn compile(id: SchemaId, path: &Path, document: Value) -> Result<Self, SchemaError> {
        if !document.is_object() {
            return Err(SchemaError::Invalid {
                path: path.to_owned(),
                pointer: "/".into(),
                message: "a request schema must be a JSON object".into(),
            });
        }
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&document)
            .map_err(|e| SchemaError::Invalid {
                path: path.to_owned(),
                pointer: match e.instance_path().as_str() {
                    "" => "/".to_owned(),
                    p => p.to_owned(),
                },
                message: e.to_string(),
            })?;
        let (mut plain, mut wild) = (Vec::new(), Vec::new());
        collect_rule_keys(&document, "", false, &mut plain, &mut wild);
        let mut rank = HashMap::new();
        for key in plain.into_iter().chain(wild) {
            let next = rank.len();
            rank.entry(key).or_insert(next);
        }
        Ok(CompiledSchema {
            id,
            document,
            validator,
            rank,
        })
    }

    /// Validates a normalised input object and returns Laravel's failures, one per field,
    /// in Laravel's order.
    pub fn validate(&self, input: &Value) -> Failures {
        let mut found = Vec::new();
        // Fast path: a valid input builds no error objects at all.
        let errors = if self.validator.is_valid(input) {
            None
        } else {
            Some(self.validator.iter_errors(input))
        };
        for error in errors.into_iter().flatten() {
            let ipath: Vec<Segment> = error
                .instance_path()
                .segments()
                .map(|s| match s {
                    LocationSegment::Property(p) => Segment::Key(p.into_owned()),
                    LocationSegment::Index(i) => Segment::Index(i),
                })
                .collect();
            // A JSON pointer; only keys holding `~` or `/` are escaped, so borrow the rest.
            let pointer = error.schema_path().as_str();
            let spath: Vec<std::borrow::Cow<'_, str>> = pointer
                .split('/')
                .skip(1)
                .map(|seg| {
                    if seg.contains('~') {
                        std::borrow::Cow::Owned(seg.replace("~1", "/").replace("~0", "~"))
                    } else {
                        std::borrow::Cow::Borrowed(seg)
                    }
                })
                .collect();
            self.translate(error.kind(), error.instance(), ipath, &spath, &mut found);
        }
        blank_required(&self.document, input, &mut Walk::default(), &mut found);
        if found.is_empty() {
            return Failures::default();
        }
        self.finish(found)
    }

    /// A failure of `rule` on a top-level `field`, ranked like the schema's own failures.
    pub fn field_failure(&self, field: &str, rule: Rule) -> FieldFailure {
        FieldFailure {
            field: field.to_owned(),
            rule,
            wildcard: false,
            rank: self.rank_of(field),
            positions: Vec::new(),
            precedence: usize::MAX,
        }
    }

    fn rank_of(&self, key: &str) -> usize {
        self.rank.get(key).copied().unwrap_or(usize::MAX)
    }

    fn translate(
        &self,
        kind: &ValidationErrorKind,
        instance: &Value,
        ipath: Vec<Segment>,
        spath: &[std::borrow::Cow<'_, str>],
        out: &mut Vec<Candidate>,
    ) {
        let Some((keyword, field_spath)) = spath.split_last() else {
            return;
        };
        let (key, wildcard) = rule_key(field_spath);
        if let ValidationErrorKind::Required { property } = kind {
            let Some(name) = property.as_str() else {
                return;
            };
            out.push(Candidate::child(
                &ipath,
                &key,
                name,
                wildcard,
                Rule::Required,
                0,
            ));
            return;
        }
        let field_schema = schema_at(&self.document, field_spath);
        let precedence = field_schema
            .and_then(Value::as_object)
            .and_then(|o| o.keys().position(|k| k == keyword))
            .map_or(usize::MAX - 1, |p| p + 1);
        let rule = match kind {
            ValidationErrorKind::Type { .. } => {
                let expected = field_schema.map(expected_types).unwrap_or_default();
                let element_object = key.ends_with('*') && expected.first() == Some(&"object");
                let required = field_schema
                    .and_then(|s| s.get("required"))
                    .and_then(Value::as_array);
                if let (true, Some(required), false) =
                    (element_object, required, instance.is_object())
                {
                    // Laravel has no rule on a list element itself: a non-object element
                    // simply lacks every key its wildcard rules require.
                    for name in required.iter().filter_map(Value::as_str) {
                        out.push(Candidate::child(
                            &ipath,
                            &key,
                            name,
                            true,
                            Rule::Required,
                            0,
                        ));
                    }
                    return;
                }
                match expected.first().copied() {
                    Some("object" | "array") => Rule::Array,
                    Some("integer") => Rule::Integer,
                    Some("number") => Rule::Numeric,
                    Some("boolean") => Rule::Boolean,
                    _ => Rule::String,
                }
            }
            ValidationErrorKind::MaxLength { limit } => Rule::MaxString(limit.to_string()),
            ValidationErrorKind::MinLength { limit } => Rule::MinString(limit.to_string()),
            ValidationErrorKind::Maximum { limit }
            | ValidationErrorKind::ExclusiveMaximum { limit } => {
                Rule::MaxNumeric(limit.to_string())
            }
            ValidationErrorKind::Minimum { limit }
            | ValidationErrorKind::ExclusiveMinimum { limit } => {
                Rule::MinNumeric(limit.to_string())
            }
            ValidationErrorKind::MaxItems { limit }
            | ValidationErrorKind::MaxProperties { limit } => Rule::MaxArray(limit.to_string()),
            ValidationErrorKind::MinItems { limit }
            | ValidationErrorKind::MinProperties { limit } => Rule::MinArray(limit.to_string()),
            ValidationErrorKind::Enum { .. } | ValidationErrorKind::Constant { .. } => Rule::In,
            ValidationErrorKind::Format { format }
                if format == "email" || format == "idn-email" =>
            {
                Rule::Email
            }
            ValidationErrorKind::AdditionalProperties { unexpected }
            | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                for name in unexpected {
                    out.push(Candidate::child(
                        &ipath,
                        &key,
                        name,
                        wildcard,
                        Rule::Prohibited,
                        precedence,
                    ));
                }
                return;
            }
            ValidationErrorKind::AnyOf { .. } => {
                if let Some(names) = field_schema.and_then(required_alternatives) {
                    // `anyOf` of single `required` lists is Laravel's `required_without`.
                    let parent = dotted(&ipath);
                    let values = names[1..]
                        .iter()
                        .map(|n| messages::display_attribute(&join_key(&parent, n), wildcard))
                        .collect::<Vec<_>>()
                        .join(" / ");
                    let rule = Rule::RequiredWithout(values);
                    out.push(Candidate::child(
                        &ipath, &key, names[0], wildcard, rule, precedence,
                    ));
                    return;
                }
                Rule::Regex
            }
            // Laravel has no closer wording for the remaining keywords (pattern, other
            // formats, multipleOf, not, oneOf...) than its regex message.
            _ => Rule::Regex,
        };
        out.push(Candidate::new(ipath, key, wildcard, rule, precedence));
    }

    fn finish(&self, found: Vec<Candidate>) -> Failures {
        let mut best: HashMap<String, FieldFailure> = HashMap::with_capacity(found.len());
        for c in found {
            let field = dotted(&c.path);
            let failure = FieldFailure {
                rank: self.rank_of(&c.key),
                positions: c
                    .path
                    .iter()
                    .filter_map(|s| match s {
                        Segment::Index(i) => Some(*i),
                        Segment::Key(_) => None,
                    })
                    .collect(),
                field: field.clone(),
                rule: c.rule,
                wildcard: c.wildcard,
                precedence: c.precedence,
            };
            match best.get(&field) {
                Some(existing) if existing.precedence <= failure.precedence => {}
                _ => {
                    best.insert(field, failure);
                }
            }
        }
        let mut list: Vec<FieldFailure> = best.into_values().collect();
        list.sort_by(FieldFailure::order);
        Failures { list }
    }
}

#[derive(Clone, Debug)]
enum Segment {
    Key(String),
    Index(usize),
}

struct Candidate {
    path: Vec<Segment>,
    key: String,
    wildcard: bool,
    rule: Rule,
    precedence: usize,
}

impl Candidate {
    /// A failure on the child `name` of the field at `parent` (rule key `parent_key`).
    fn child(
        parent: &[Segment],
        parent_key: &str,
        name: &str,
        wildcard: bool,
        rule: Rule,
        precedence: usize,
    ) -> Self {
        let mut path = parent.to_vec();
        path.push(Segment::Key(name.to_owned()));
        Candidate::new(path, join_key(parent_key, name), wildcard, rule, precedence)
    }

    fn new(path: Vec<Segment>, key: String, wildcard: bool, rule: Rule, precedence: usize) -> Self {
        Candidate {
            path,
            key,
            wildcard,
            rule,
            precedence,
        }
    }
}

/// One field's failure.
#[derive(Clone, Debug)]
pub(crate) struct FieldFailure {
    /// Laravel's dotted key: `billing_properties.0.type`.
    pub field: String,
    /// The first rule that failed.
    pub rule: Rule,
    wildcard: bool,
    rank: usize,
    positions: Vec<usize>,
    precedence: usize,
}

impl FieldFailure {
    fn order(a: &FieldFailure, b: &FieldFailure) -> std::cmp::Ordering {
        (a.rank, &a.positions, &a.field).cmp(&(b.rank, &b.positions, &b.field))
    }

    /// The message in `locale`.
    pub fn message(&self, locale: Locale) -> String {
        self.rule.message(
            locale,
            &messages::display_attribute(&self.field, self.wildcard),
        )
    }
}

/// Every failing field of one request, in Laravel's order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Failures {
    list: Vec<FieldFailure>,
}

impl Failures {
    /// True when the input passed.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Whether `field` already failed (so a later rule such as `unique` is not checked).
    pub fn has(&self, field: &str) -> bool {
        self.list.iter().any(|f| f.field == field)
    }

    /// Adds a failure found outside the schema (`unique`, `exists`), keeping the order.
    pub fn push(&mut self, failure: FieldFailure) {
        if self.has(&failure.field) {
            return;
        }
        let at = self
            .list
            .partition_point(|f| FieldFailure::order(f, &failure).is_le());
        self.list.insert(at, failure);
    }

    /// The failures as field to messages, in order.
    pub fn into_bag(self, locale: Locale) -> ErrorBag {
        ErrorBag(
            self.list
                .iter()
                .map(|f| (f.field.clone(), vec![f.message(locale)]))
                .collect(),
        )
    }
}

/// Laravel's `MessageBag`: field to messages, in insertion order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ErrorBag(Vec<(String, Vec<String>)>);

impl ErrorBag {
    /// Adds a message to a field, as `MessageBag::add`: a message already on that field is
    /// not added twice.
    pub(crate) fn add(&mut self, field: &str, message: String) {
        match self.0.iter_mut().find(|(f, _)| f == field) {
            Some((_, messages)) if messages.contains(&message) => {}
            Some((_, messages)) => messages.push(message),
            None => self.0.push((field.to_owned(), vec![message])),
        }
    }

    /// The fields and their messages, in order.
    pub(crate) fn into_fields(self) -> impl Iterator<Item = (String, Vec<String>)> {
        self.0.into_iter()
    }

    /// The 422 body: `{"message": summary, "errors": {...}}`.
    pub fn to_json(&self, locale: Locale) -> Vec<u8> {
        let summary = messages::summarize(
            self.0
                .iter()
                .flat_map(|(_, m)| m.iter().map(String::as_str)),
            locale,
        );
        let mut out = Vec::with_capacity(64 + summary.len() * 2);
        out.extend_from_slice(b"{\"message\":");
        write_json_str(&mut out, &summary);
        out.extend_from_slice(b",\"errors\":{");
        for (i, (field, msgs)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_json_str(&mut out, field);
            out.extend_from_slice(b":[");
            for (j, m) in msgs.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                write_json_str(&mut out, m);
            }
            out.push(b']');
        }
        out.extend_from_slice(b"}}");
        out
    }
}

/// Appends `s` as a JSON string literal.
pub(crate) fn write_json_str(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail, and a &str always serialises.
    serde_json::to_writer(&mut *out, s).expect("serialising a str into a Vec cannot fail");
}

fn dotted(path: &[Segment]) -> String {
    let mut s = String::new();
    for (i, seg) in path.iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        match seg {
            Segment::Key(k) => s.push_str(k),
            Segment::Index(n) => s.push_str(&n.to_string()),
        }
    }
    s
}

fn join_key(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// The Laravel rule key of the field a schema location describes: `properties/x` adds `x`,
/// `items`, `additionalProperties` and `patternProperties/..` add the wildcard `*`;
/// combinators (`allOf/0`, `then`) add nothing.
fn rule_key<S: AsRef<str>>(spath: &[S]) -> (String, bool) {
    let mut key = String::new();
    let mut wildcard = false;
    let mut i = 0;
    while i < spath.len() {
        match spath[i].as_ref() {
            "properties" if i + 1 < spath.len() => {
                key = join_key(&key, spath[i + 1].as_ref());
                i += 2;
            }
            "patternProperties" if i + 1 < spath.len() => {
                key = join_key(&key, "*");
                wildcard = true;
                i += 2;
            }
            "items" | "additionalProperties" => {
                key = join_key(&key, "*");
                wildcard = true;
                i += 1;
            }
            _ => i += 1,
        }
    }
    (key, wildcard)
}

fn schema_at<'a, S: AsRef<str>>(document: &'a Value, spath: &[S]) -> Option<&'a Value> {
    spath.iter().try_fold(document, |node, seg| match node {
        Value::Object(m) => m.get(seg.as_ref()),
        Value::Array(a) => seg.as_ref().parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

/// The property names of an `anyOf` whose branches are each `{"required": [name]}`.
fn required_alternatives(schema: &Value) -> Option<Vec<&str>> {
    let branches = schema.get("anyOf")?.as_array()?;
    let names: Option<Vec<&str>> = branches
        .iter()
        .map(|b| match b.get("required")?.as_array()?.as_slice() {
            [Value::String(name)] if b.as_object()?.len() == 1 => Some(name.as_str()),
            _ => None,
        })
        .collect();
    names.filter(|n| n.len() >= 2)
}

fn expected_types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => Vec::new(),
    }
}

/// Laravel's `required` also fails for present values that are null, blank, `[]` or `{}`,
/// which JSON Schema's `required` accepts. Walks `properties`, `items` and
/// `additionalProperties` alongside the input and reports those. Allocates only for what it
/// reports: the walk itself borrows, and scalars are not descended into.
fn blank_required<'a>(
    schema: &'a Value,
    input: &'a Value,
    walk: &mut Walk<'a>,
    out: &mut Vec<Candidate>,
) {
    let props = schema.get("properties").and_then(Value::as_object);
    match input {
        Value::Object(obj) => {
            if let Some(required) = schema.get("required").and_then(Value::as_array) {
                for name in required.iter().filter_map(Value::as_str) {
                    if obj.get(name).is_some_and(normalise::is_blank) {
                        out.push(walk.candidate(name, Rule::Required));
                    }
                }
            }
            for (name, value) in obj {
                if !(value.is_object() || value.is_array()) {
                    continue;
                }
                let (sub, key_part) = match props.and_then(|p| p.get(name)) {
                    Some(sub) => (sub, name.as_str()),
                    None => match schema.get("additionalProperties") {
                        Some(sub) if sub.is_object() => (sub, "*"),
                        _ => continue,
                    },
                };
                walk.enter(PathSeg::Key(name), key_part);
                blank_required(sub, value, walk, out);
                walk.leave();
            }
        }
        Value::Array(items) => {
            if let Some(sub) = schema.get("items").filter(|s| s.is_object()) {
                for (i, value) in items
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_object() || v.is_array())
                {
                    walk.enter(PathSeg::Index(i), "*");
                    blank_required(sub, value, walk, out);
                    walk.leave();
                }
            }
        }
        _ => {}
    }
}

#[derive(Clone, Copy)]
enum PathSeg<'a> {
    Key(&'a str),
    Index(usize),
}

/// Where [`blank_required`] is: the input path and the rule key, borrowed.
#[derive(Default)]
struct Walk<'a> {
    path: Vec<PathSeg<'a>>,
    key: Vec<&'a str>,
}

impl<'a> Walk<'a> {
    fn enter(&mut self, seg: PathSeg<'a>, key_part: &'a str) {
        self.path.push(seg);
        self.key.push(key_part);
    }

    fn leave(&mut self) {
        self.path.pop();
        self.key.pop();
    }

    fn candidate(&self, name: &str, rule: Rule) -> Candidate {
        let mut path: Vec<Segment> = self
            .path
            .iter()
            .map(|s| match *s {
                PathSeg::Key(k) => Segment::Key(k.to_owned()),
                PathSeg::Index(i) => Segment::Index(i),
            })
            .collect();
        path.push(Segment::Key(name.to_owned()));
        let mut key = self.key.join(".");
        if !key.is_empty() {
            key.push('.');
        }
        key.push_str(name);
        Candidate::new(path, key, self.key.contains(&"*"), rule, 0)
    }
}

fn collect_rule_keys(
    node: &Value,
    prefix: &str,
    wild: bool,
    plain: &mut Vec<String>,
    wilds: &mut Vec<String>,
) {
    let Some(obj) = node.as_object() else {
        return;
    };
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        for (name, sub) in props {
            let key = join_key(prefix, name);
            if wild {
                wilds.push(key.clone());
            } else {
                plain.push(key.clone());
            }
            collect_rule_keys(sub, &key, wild, plain, wilds);
        }
    }
    for kw in ["items", "additionalProperties"] {
        if let Some(sub) = obj.get(kw).filter(|s| s.is_object()) {
            let key = join_key(prefix, "*");
            wilds.push(key.clone());
            collect_rule_keys(sub, &key, true, plain, wilds);
        }
    }
    for kw in ["allOf", "anyOf", "oneOf"] {
        for sub in obj.get(kw).and_then(Value::as_array).into_iter().flatten() {
            collect_rule_keys(sub, prefix, wild, plain, wilds);
        }
    }
    for kw in ["if", "then", "else"] {
        if let Some(sub) = obj.get(kw) {
            collect_rule_keys(sub, prefix, wild, plain, wilds);
        }
    }
}
