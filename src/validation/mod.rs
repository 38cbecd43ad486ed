//! Request validation as Laravel does it, declared by JSON Schemas.
//!
//! Each endpoint has one JSON Schema (`schemas/*.schema.json`, compiled in; `--schemas DIR`
//! replaces them), the single place its rules are declared. At load time a schema is checked
//! by the `jsonschema` crate and turned into Laravel's rules array ([`plan`]); at request time
//! [`engine`] runs those rules over the normalised input ([`normalise`]) exactly as Laravel's
//! `Validator` does, worded by [`messages`] into Laravel's `MessageBag` ([`bag`]). Input that
//! passes is recognised first by [`shortcut`], one pass over the plan with the engine's own
//! predicates, so the full run (and its bookkeeping for messages) happens only for a 422.
//!
//! It owns no state: `unique` and `exists` ask the caller whether a login is taken.

mod bag;
mod email;
mod engine;
mod explode;
mod late_index;
mod messages;
pub(crate) mod normalise;
mod plan;
mod rule;
mod shortcut;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::php::Array;

pub(crate) use bag::ErrorBag;
use engine::Checker;
pub(crate) use engine::Logins;
pub use messages::{Locale, UnknownLocale};
use plan::Plan;
pub(crate) use plan::{Bound, Rule};
use shortcut::Shortcut;

/// The input is more than Laravel could validate within PHP's limits (`max_execution_time`,
/// `memory_limit`): the vendor's backend answers `500 Server Error`, and so does the mock,
/// at once and within a bounded amount of memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overload;

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
            .entries(SchemaId::ALL.iter().take(self.compiled.len()))
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
            let schema = match overrides.remove(&id) {
                Some((path, document)) => CompiledSchema::compile(id, &path, document)?,
                None => {
                    let path = PathBuf::from(format!("<embedded>/schemas/{}", id.file_name()));
                    // The compiled-in documents cannot change after the build, and a unit test
                    // checks each against the meta-schema (`embedded_schemas_pass_the_meta_
                    // schema_check`): checking them again here was 60 % of start-up's
                    // instructions (4.3 of 7 million, benches/README.md).
                    CompiledSchema::from_checked(id, &path, parse_schema(&path, id.embedded())?)?
                }
            };
            compiled.push(schema);
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

/// Checks a schema document as `jsonschema` compiles it: a JSON object that passes its
/// meta-schema, every `$ref` resolved; an error names the pointer.
fn check_document(path: &Path, document: &Value) -> Result<(), SchemaError> {
    if !document.is_object() {
        return Err(invalid(
            path,
            "/".into(),
            "a request schema must be a JSON object".into(),
        ));
    }
    jsonschema::options().build(document).map_err(|e| {
        let pointer = match e.instance_path().as_str() {
            "" => "/".to_owned(),
            p => p.to_owned(),
        };
        invalid(path, pointer, e.to_string())
    })?;
    Ok(())
}

/// A schema refused at `pointer`.
fn invalid(path: &Path, pointer: String, message: String) -> SchemaError {
    SchemaError::Invalid {
        path: path.to_owned(),
        pointer,
        message,
    }
}

/// One endpoint's schema, compiled into Laravel's rules.
pub(crate) struct CompiledSchema {
    /// The schema as loaded (for the OpenAPI document).
    document: Value,
    /// The schema's rules.
    plain: Rules,
    /// The same, with the endpoint's store rule on `login`: `unique` for create, `exists`
    /// for the endpoints that act on a user.
    with_store: Rules,
}

/// A plan and its shortcut for input that passes.
struct Rules {
    plan: Plan,
    shortcut: Option<Shortcut>,
}

impl Rules {
    fn new(plan: Plan) -> Self {
        Rules {
            shortcut: Shortcut::compile(plan.entries()),
            plan,
        }
    }

    /// The shortcut when it says the input passes, else Laravel's Validator in full.
    fn validate(
        &self,
        input: &Array,
        locale: Locale,
        logins: Logins<'_>,
    ) -> Result<ErrorBag, Overload> {
        // Debug builds run the engine again after the shortcut: both must see the same
        // store, though a concurrent create may take a login in between.
        #[cfg(debug_assertions)]
        let seen = std::cell::RefCell::new(HashMap::<String, bool>::new());
        #[cfg(debug_assertions)]
        let remembered = |login: &str| {
            *seen
                .borrow_mut()
                .entry(login.to_owned())
                .or_insert_with(|| logins(login))
        };
        #[cfg(debug_assertions)]
        let logins: Logins<'_> = &remembered;
        let check = Checker::new(&self.plan, input, logins);
        if self.shortcut.as_ref().is_some_and(|s| s.passes(&check)) {
            // The shortcut only says yes when the full run finds nothing; debug builds
            // (every test, and the oracle run against a debug binary) hold it to that.
            #[cfg(debug_assertions)]
            {
                let full = engine::validate(check, locale)?;
                assert!(
                    full.is_empty(),
                    "the shortcut passed input the engine refuses"
                );
            }
            return Ok(ErrorBag::default());
        }
        engine::validate(check, locale)
    }
}

impl CompiledSchema {
    /// Checks a schema document from a file against the meta-schema, then compiles it.
    fn compile(id: SchemaId, path: &Path, document: Value) -> Result<Self, SchemaError> {
        check_document(path, &document)?;
        Self::from_checked(id, path, document)
    }

    /// Compiles a document known to pass [`check_document`].
    fn from_checked(id: SchemaId, path: &Path, document: Value) -> Result<Self, SchemaError> {
        let plain = Plan::compile(&document).map_err(|e| invalid(path, e.pointer, e.message))?;
        let store_rule = match id {
            SchemaId::UserCreate => Rule::Unique,
            _ => Rule::Exists,
        };
        let with_store = plain.with_rule("login", store_rule);
        Ok(CompiledSchema {
            document,
            plain: Rules::new(plain),
            with_store: Rules::new(with_store),
        })
    }

    /// The schema as loaded.
    pub(crate) fn document(&self) -> &Value {
        &self.document
    }

    /// Validates a normalised input with the schema's rules only (seed users, upserts).
    ///
    /// # Errors
    /// [`Overload`] for input Laravel could not validate within PHP's limits.
    pub(crate) fn validate(&self, input: &Array, locale: Locale) -> Result<ErrorBag, Overload> {
        self.plain.validate(input, locale, &|_| false)
    }

    /// Validates a normalised input with the schema's rules and the endpoint's `unique` or
    /// `exists` on `login`, answered by `logins`.
    ///
    /// # Errors
    /// [`Overload`] for input Laravel could not validate within PHP's limits.
    pub(crate) fn validate_with_store(
        &self,
        input: &Array,
        locale: Locale,
        logins: Logins<'_>,
    ) -> Result<ErrorBag, Overload> {
        self.with_store.validate(input, locale, logins)
    }
}

/// A 422 with one failure of `rule` on a top-level `field` found outside validation (the
/// licence pool's `max`, a login a concurrent create took first), worded as Laravel words it.
pub(crate) fn field_failure(field: &str, rule: &Rule, numeric: bool, locale: Locale) -> ErrorBag {
    let mut bag = ErrorBag::default();
    bag.add(field, engine::word(field, rule, numeric, locale));
    bag
}
