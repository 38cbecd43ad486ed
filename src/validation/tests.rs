//! The translation from a schema to Laravel's failures, end to end inside this module: a
//! schema is compiled into rules ([`super::plan`]), run over normalised input
//! ([`super::engine`]) and read back from the bag ([`super::bag`]). The expected messages are
//! what Laravel 10's `Validator` answers for the same rules and input (checked with
//! `tools/lifecycle_diff.py` and the oracle).

use serde_json::json;

use super::normalise::normalise;
use super::*;
use crate::php::{self, Value as Php};

/// Validates a JSON body against a schema as the create endpoint does, `taken` logins
/// answering `unique`.
fn failures(
    schema: Value,
    body: &str,
    locale: Locale,
    taken: &[&str],
) -> Vec<(String, Vec<String>)> {
    let compiled = CompiledSchema::compile(SchemaId::UserCreate, Path::new("t.json"), schema)
        .expect("the test schema compiles");
    let Ok(Php::Array(mut input)) = php::json::decode(body.as_bytes()) else {
        panic!("test bodies are JSON objects: {body}");
    };
    normalise(&mut input, false);
    compiled
        .validate_with_store(&input, locale, &|login| taken.contains(&login))
        .expect("within Laravel's limits")
        .into_fields()
        .collect()
}

fn create_schema() -> Value {
    serde_json::from_str(include_str!("../../schemas/user-create.schema.json")).expect("shipped")
}

fn fields(pairs: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    pairs
        .iter()
        .map(|(f, m)| (f.to_string(), m.iter().map(|s| s.to_string()).collect()))
        .collect()
}

#[test]
fn an_empty_body_fails_required_on_every_required_field_in_rule_order() {
    assert_eq!(
        failures(create_schema(), "{}", Locale::En, &[]),
        fields(&[
            ("login", &["The login field is required."]),
            ("password", &["The password field is required."]),
            ("type", &["The type field is required."]),
            ("status", &["The status field is required."]),
        ])
    );
}

#[test]
fn a_field_reports_every_failing_rule_unless_it_is_missing() {
    let long = "x".repeat(256);
    let body = format!(r#"{{"login": [], "password": 5, "type": "{long}", "status": "s"}}"#);
    assert_eq!(
        failures(create_schema(), &body, Locale::En, &[]),
        fields(&[
            ("login", &["The login field is required."]),
            ("password", &["The password field must be a string."]),
            (
                "type",
                &["The type field must not be greater than 255 characters."]
            ),
        ])
    );
    // Strings are measured in characters, not bytes: 255 two-byte letters are within
    // `max:255`, 256 are not.
    for (letters, failed) in [(255, false), (256, true)] {
        let body = format!(
            r#"{{"login": "l", "password": "p", "type": "{}", "status": "s"}}"#,
            "ж".repeat(letters)
        );
        let expected: &[(&str, &[&str])] = if failed {
            &[(
                "type",
                &["The type field must not be greater than 255 characters."],
            )]
        } else {
            &[]
        };
        assert_eq!(
            failures(create_schema(), &body, Locale::En, &[]),
            fields(expected)
        );
    }
    // Without a numeric rule a number's size is its length in characters: 300 is 3 long.
    let body = r#"{"login": 300, "password": "p", "type": "t", "status": "s"}"#;
    assert_eq!(
        failures(create_schema(), body, Locale::En, &[]),
        fields(&[("login", &["The login field must be a string."])])
    );
}

#[test]
fn blank_strings_fail_required_whether_trimmed_or_not() {
    // TrimStrings turns the login into null; the password is kept as sent, and `required`
    // trims it itself.
    let body = r#"{"login": " \t ", "password": "  ", "type": "t", "status": "s"}"#;
    assert_eq!(
        failures(create_schema(), body, Locale::En, &[]),
        fields(&[
            ("login", &["The login field is required."]),
            ("password", &["The password field is required."]),
        ])
    );
}

#[test]
fn wildcard_rules_fail_rule_by_rule_after_the_plain_fields() {
    // Laravel expands `billing_properties.*.type` into every element, then `*.value`.
    let body = r#"{"login": "a", "password": "p", "type": "t", "status": 1,
                   "billing_properties": [{"type": "x"}, {"value": 2}]}"#;
    assert_eq!(
        failures(create_schema(), body, Locale::En, &[]),
        fields(&[
            ("status", &["The status field must be a string."]),
            (
                "billing_properties.1.type",
                &["The billing_properties.1.type field is required."]
            ),
            (
                "billing_properties.0.value",
                &["The billing_properties.0.value field is required."]
            ),
            (
                "billing_properties.1.value",
                &["The billing_properties.1.value field must be a string."]
            ),
        ])
    );
}

#[test]
fn unique_asks_the_store_and_is_worded_per_locale() {
    let body = r#"{"login": "taken", "password": "p", "type": "t", "status": "s"}"#;
    assert_eq!(
        failures(create_schema(), body, Locale::En, &["taken"]),
        fields(&[("login", &["The login has already been taken."])])
    );
    assert_eq!(
        failures(create_schema(), body, Locale::Ru, &["taken"]),
        fields(&[("login", &["Такое значение поля login уже существует."])])
    );
}

#[test]
fn tightened_keywords_become_the_matching_laravel_rules() {
    let schema = json!({
        "type": "object",
        "required": ["code", "count"],
        "properties": {
            "code": {"type": "string", "minLength": 3, "enum": ["abc", "defg"]},
            "count": {"type": "integer", "minimum": 1, "maximum": 9},
            "tags": {"type": "array", "maxItems": 1, "items": {"type": "string"}},
            "flag": {"type": "boolean"}
        }
    });
    let body = r#"{"code": "zz", "count": 12, "tags": ["a", 2], "flag": "maybe"}"#;
    assert_eq!(
        failures(schema, body, Locale::En, &[]),
        fields(&[
            (
                "code",
                &[
                    "The code field must be at least 3 characters.",
                    "The selected code is invalid."
                ]
            ),
            ("count", &["The count field must not be greater than 9."]),
            ("tags", &["The tags field must not have more than 1 items."]),
            ("flag", &["The flag field must be true or false."]),
            ("tags.1", &["The tags.1 field must be a string."]),
        ])
    );
}

#[test]
fn numeric_keywords_compare_with_their_parameter_and_show_it_as_written() {
    let schema = json!({
        "type": "object",
        "properties": {
            "step": {"type": "number", "multipleOf": 0.5},
            "half": {"type": "number", "multipleOf": 1.5},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 2.5}
        }
    });
    let body = r#"{"step": 1.2, "half": "3", "ratio": 0}"#;
    assert_eq!(
        failures(schema.clone(), body, Locale::En, &[]),
        fields(&[
            ("step", &["The step field must be a multiple of 0.5."]),
            ("ratio", &["The ratio field must be greater than 0."]),
        ])
    );
    let body = r#"{"step": 1.5, "half": 4.5, "ratio": 2.5}"#;
    assert_eq!(
        failures(schema, body, Locale::En, &[]),
        fields(&[("ratio", &["The ratio field must be less than 2.5."])])
    );
}

#[test]
fn keys_outside_a_closed_object_are_prohibited_and_numeric_names_match_integer_keys() {
    let schema = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "login": {"type": "string"},
            "5": {"type": "string"},
            "info": {
                "type": "object",
                "additionalProperties": false,
                "properties": {"id": {"type": "string"}}
            }
        }
    });
    // Passes (debug builds also hold the shortcut's "passes" to the engine's verdict):
    // the key "5" is PHP's integer key 5, which the property "5" names.
    let passing = r#"{"login": "a", "5": "b", "info": {"id": "c"}}"#;
    assert_eq!(
        failures(schema.clone(), passing, Locale::En, &[]),
        fields(&[])
    );
    // "05" stays a string key, which no property names.
    let top = r#"{"login": "a", "05": "b", "info": {"id": "c"}}"#;
    assert_eq!(
        failures(schema.clone(), top, Locale::En, &[]),
        fields(&[("05", &["The 05 field is prohibited."])])
    );
    let nested = r#"{"login": "a", "info": {"id": "c", "more": 1}}"#;
    assert_eq!(
        failures(schema, nested, Locale::En, &[]),
        fields(&[("info.more", &["The info.more field is prohibited."])])
    );
}

#[test]
fn a_wildcard_naming_an_explicit_attribute_adds_its_rules_after_the_explicit_ones() {
    // `a.0` from `properties` and `a.*` from `additionalProperties` name the same attribute:
    // Laravel's `mergeRules` appends the wildcard's rules to the explicit ones.
    let schema = json!({
        "type": "object",
        "properties": {
            "a": {
                "type": "object",
                "properties": {"0": {"type": "string"}},
                "additionalProperties": {"type": "integer"}
            }
        }
    });
    assert_eq!(
        failures(schema.clone(), r#"{"a": {"0": 1.5}}"#, Locale::En, &[]),
        fields(&[(
            "a.0",
            &[
                "The a.0 field must be a string.",
                "The a.0 field must be an integer."
            ]
        )])
    );
    assert_eq!(
        failures(schema, r#"{"a": {"0": "x", "1": "y"}}"#, Locale::En, &[]),
        fields(&[
            ("a.0", &["The a.0 field must be an integer."]),
            ("a.1", &["The a.1 field must be an integer."]),
        ])
    );
}

#[test]
fn any_of_single_requireds_is_required_without() {
    let schema = json!({
        "type": "object",
        "properties": {"email": {"type": "string"}, "phone": {"type": "string"}},
        "anyOf": [{"required": ["email"]}, {"required": ["phone"]}]
    });
    assert_eq!(
        failures(schema.clone(), "{}", Locale::En, &[]),
        fields(&[(
            "email",
            &["The email field is required when phone is not present."]
        )])
    );
    assert!(failures(schema, r#"{"phone": "1"}"#, Locale::En, &[]).is_empty());
}

/// `json_encode` escapes non-ASCII as `\uXXXX`: "(и ещё 2 ошибки)".
#[test]
fn the_summary_counts_the_other_messages_in_each_locale() {
    let mut bag = ErrorBag::default();
    bag.add("login", "first".into());
    bag.add("login", "second".into());
    bag.add("type", "third".into());
    assert_eq!(
        String::from_utf8(bag.to_json(Locale::En)).unwrap(),
        r#"{"message":"first (and 2 more errors)","errors":{"login":["first","second"],"type":["third"]}}"#
    );
    assert_eq!(
        String::from_utf8(bag.to_json(Locale::Ru)).unwrap(),
        r#"{"message":"first (\u0438 \u0435\u0449\u0451 2 \u043e\u0448\u0438\u0431\u043a\u0438)","errors":{"login":["first","second"],"type":["third"]}}"#
    );
}

#[test]
fn input_laravel_could_not_validate_in_time_is_an_overload_not_a_huge_bag() {
    let compiled =
        CompiledSchema::compile(SchemaId::UserCreate, Path::new("t.json"), create_schema())
            .expect("shipped schema");
    let check = |elements: usize| {
        let body = format!(
            r#"{{"login": "a", "password": "p", "type": "t", "status": "s",
                 "billing_properties": [{}1]}}"#,
            "1,".repeat(elements - 1)
        );
        let Ok(Php::Array(input)) = php::json::decode(body.as_bytes()) else {
            panic!("a JSON object");
        };
        compiled
            .validate(&input, Locale::En)
            .map(|bag| bag.into_fields().count())
    };
    // Laravel answered 15,000 such elements with a 422 (in 14.5 s) ...
    assert_eq!(check(15_000), Ok(30_000));
    // ... and ran into PHP's 30 s limit at 20,000: 500 Server Error.
    assert_eq!(check(20_000), Err(Overload));
    assert_eq!(check(340_000), Err(Overload));
}

#[test]
fn long_keys_gathered_under_a_wildcard_are_bounded_in_bytes() {
    let schema = json!({
        "type": "object",
        "properties": {"tags": {"type": "array", "items": {"type": "string"}}}
    });
    let compiled = CompiledSchema::compile(SchemaId::UserCreate, Path::new("t.json"), schema)
        .expect("the test schema compiles");
    // `tags.*` gathers every leaf under `tags`: 1,000 paths of two 10 kB keys each.
    let key = "k".repeat(10_000);
    let element = format!(r#"{{"{key}": {{"{key}": 1}}}}"#);
    let body = format!(
        r#"{{"tags": [{}]}}"#,
        vec![element.as_str(); 1_000].join(",")
    );
    let Ok(Php::Array(input)) = php::json::decode(body.as_bytes()) else {
        panic!("a JSON object");
    };
    let result = compiled.validate(&input, Locale::En);
    assert!(matches!(result, Err(Overload)), "not an overload");
    // A hundred such elements are within bounds and fail as Laravel words it.
    let body = format!(r#"{{"tags": [{}]}}"#, vec![element.as_str(); 100].join(","));
    let Ok(Php::Array(input)) = php::json::decode(body.as_bytes()) else {
        panic!("a JSON object");
    };
    let bag = compiled
        .validate(&input, Locale::En)
        .expect("within bounds");
    assert_eq!(bag.into_fields().count(), 100);
}

/// The shortcut itself, without the engine behind it: it must say "passes" for the vendor's
/// example (else every create pays for the full run) and never for a body that fails.
#[test]
fn the_create_shortcut_passes_the_vendors_example_and_nothing_that_fails() {
    let compiled =
        CompiledSchema::compile(SchemaId::UserCreate, Path::new("t.json"), create_schema())
            .expect("the shipped schema compiles");
    let shortcut = compiled
        .with_store
        .shortcut
        .as_ref()
        .expect("the create schema has a shortcut");
    let passes = |body: &str, taken: &[&str]| {
        let Ok(Php::Array(input)) = php::json::decode(body.as_bytes()) else {
            panic!("test bodies are JSON objects: {body}");
        };
        let logins = |login: &str| taken.contains(&login);
        shortcut.passes(&Checker::new(&compiled.with_store.plan, &input, &logins))
    };
    let example = r#"{"login":"test@mail.com","password":"qweasdzxc","type":"type_value",
        "billing_info":{"billing_id":"123123123","billing_extra":[]},"status":"active",
        "billing_properties":[{"type":"phone","value":"+80283289362"}]}"#;
    assert!(passes(example, &[]));
    assert!(passes(
        r#"{"login":"a","password":"p","type":"t","status":"s"}"#,
        &[]
    ));
    for failing in [
        r#"{"login":"a","type":"t","status":"s"}"#,
        r#"{"login":5,"password":"p","type":"t","status":"s"}"#,
        r#"{"login":"a","password":"p","type":"t","status":"s","billing_properties":[{"type":"x"}]}"#,
        r#"{"login":"a","password":"p","type":"t","status":"s","billing_info":"x"}"#,
    ] {
        assert!(!passes(failing, &[]), "{failing}");
    }
    assert!(
        !passes(example, &["test@mail.com"]),
        "a taken login is unique's failure"
    );
}

#[test]
fn embedded_schemas_pass_the_meta_schema_check() {
    // Start-up compiles the embedded documents without this check (`Schemas::embedded`):
    // this test is what stands in for it.
    for id in SchemaId::ALL {
        let path = PathBuf::from(id.file_name());
        let document = parse_schema(&path, id.embedded()).expect("embedded schema parses");
        check_document(&path, &document).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn a_schema_file_is_still_checked_against_the_meta_schema() {
    let broken = json!({"type": "object", "properties": {"login": {"type": "strnig"}}});
    let error = CompiledSchema::compile(SchemaId::UserCreate, Path::new("t.json"), broken)
        .err()
        .expect("a type the meta-schema does not know is refused");
    assert!(
        matches!(&error, SchemaError::Invalid { pointer, .. } if pointer == "/properties/login/type"),
        "{error:?}"
    );
}
