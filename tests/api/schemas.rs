//! Messages follow the schema: a tightened schema loaded from a folder gets Laravel's
//! messages for the keywords it adds, with no code change. And Russian messages.

use serde_json::json;
use vms_billing_mock::{Locale, Schemas};

use crate::helpers::*;

const TIGHTENED: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["login", "password", "type", "status"],
  "properties": {
    "login": { "type": "string", "format": "email", "maxLength": 64 },
    "password": { "type": "string", "minLength": 8 },
    "type": { "type": "string", "pattern": "^b2[bc]$" },
    "status": { "type": "string", "enum": ["active", "blocked"] },
    "age": { "type": "integer", "minimum": 18, "maximum": 99 },
    "vip": { "type": "boolean" },
    "score": { "type": ["number", "null"] },
    "billing_properties": {
      "type": ["array", "null"], "minItems": 1, "maxItems": 2,
      "items": { "type": "object", "required": ["type", "value"],
                 "properties": { "type": { "type": "string", "enum": ["phone", "email"] }, "value": { "type": "string" } } }
    }
  }
}"#;

async fn tightened_server() -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("user-create.schema.json"), TIGHTENED).unwrap();
    let schemas = Schemas::load_dir(dir.path()).unwrap();
    TestServer::with(|c| c.set_schemas(schemas)).await
}

#[tokio::test]
async fn tightened_schema_from_a_folder_yields_matching_laravel_messages() {
    let server = tightened_server().await;
    let answer = server
        .create_user(&json!({
            "login": "not-an-email", "password": "short", "type": "b2x", "status": "deleted",
            "age": 12, "vip": "yes", "score": "high",
            "billing_properties": [{"type": "fax", "value": "1"}, {"type": "phone", "value": "2"}, {"type": "email", "value": "3"}]
        }))
        .await;
    answer.assert_422(json!({
        "login": ["The login field must be a valid email address."],
        "password": ["The password field must be at least 8 characters."],
        "type": ["The type field format is invalid."],
        "status": ["The selected status is invalid."],
        "age": ["The age field must be at least 18."],
        "vip": ["The vip field must be true or false."],
        "score": ["The score field must be a number."],
        "billing_properties": ["The billing properties field must not have more than 2 items."],
        "billing_properties.0.type": ["The selected billing_properties.0.type is invalid."]
    }));
    let answer = server
        .create_user(
            &json!({"login": "a@b.co", "password": "longenough", "type": "b2b", "status": "active",
                              "age": 100, "vip": true, "billing_properties": []}),
        )
        .await;
    answer.assert_422(json!({
        "age": ["The age field must not be greater than 99."],
        "billing_properties": ["The billing properties field must have at least 1 items."]
    }));
    let answer = server
        .create_user(&json!({"login": "a@b.co", "password": "longenough", "type": "b2b", "status": "active", "age": 1.5}))
        .await;
    // Every failing rule of a field is reported: 1.5 is no integer and is below 18.
    answer.assert_422(
        json!({"age": ["The age field must be an integer.", "The age field must be at least 18."]}),
    );
}

#[tokio::test]
async fn every_failing_keyword_gives_its_message_in_schema_order() {
    let server = tightened_server().await;
    // Both format and maxLength fail; format comes first in the schema.
    let long = format!("{}@", "x".repeat(70));
    server
        .create_user(
            &json!({"login": long, "password": "longenough", "type": "b2b", "status": "active"}),
        )
        .await
        .assert_422(json!({"login": [
            "The login field must be a valid email address.",
            "The login field must not be greater than 64 characters."
        ]}));
    let answer = server
        .create_user(&json!({"login": "ok@mail.com", "password": "longenough", "type": "b2b", "status": "active"}))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
}

#[tokio::test]
async fn unknown_schema_file_in_folder_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("user-craete.schema.json"), TIGHTENED).unwrap();
    let err = Schemas::load_dir(dir.path()).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "{}: unknown schema file, expected one of user-create.schema.json, user-update.schema.json, user-delete.schema.json, licenses.schema.json, licenses-check.schema.json, cameras.schema.json, intercoms.schema.json",
            dir.path().join("user-craete.schema.json").display()
        )
    );
}

#[tokio::test]
async fn broken_schema_in_folder_is_refused_naming_file_and_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("user-create.schema.json");
    std::fs::write(
        &path,
        r#"{"type": "object", "properties": {"login": {"maxLength": "ten"}}}"#,
    )
    .unwrap();
    let err = Schemas::load_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "{}: invalid JSON Schema at /properties/login/maxLength: ",
            path.display()
        )),
        "{err}"
    );
    std::fs::write(&path, "{\"type\": ").unwrap();
    let err = Schemas::load_dir(dir.path()).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "{}: not valid JSON: EOF while parsing a value at line 1 column 9",
            path.display()
        )
    );
}

#[tokio::test]
async fn russian_locale_gives_russian_messages_and_summary() {
    let server = TestServer::with(|c| c.set_locale(Locale::Ru)).await;
    let answer = server
        .create_user(&json!({"login": 5, "type": "t".repeat(300), "billing_info": "x", "billing_properties": [{"type": "a"}]}))
        .await;
    assert_eq!(answer.status, 422);
    answer.assert_laravel_json(
        r#"{"message":"Значение поля login должно быть строкой. (и ещё 5 ошибок)","errors":{"login":["Значение поля login должно быть строкой."],"password":["Поле password обязательно."],"type":["Количество символов в значении поля type не может превышать 255."],"status":["Поле status обязательно."],"billing_info":["Значение поля billing info должно быть массивом."],"billing_properties.0.value":["Поле billing_properties.0.value обязательно."]}}"#,
    );
    assert_eq!(server.create_user(&user("ru@x.com")).await.status, 200);
    let answer = server.create_user(&user("RU@x.com")).await;
    answer.assert_laravel_json(
        r#"{"message":"Такое значение поля login уже существует.","errors":{"login":["Такое значение поля login уже существует."]}}"#,
    );
}
