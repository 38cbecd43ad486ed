//! The OpenAPI document: served and printed, built from the schemas the mock has loaded.

use hyper::{Method, StatusCode};
use serde_json::{Value, json};
use vms_billing_mock::Schemas;

use crate::helpers::*;

const OPERATIONS: [(&str, &str, &str); 7] = [
    ("/api/v1/billing/user/manage", "post", "user-create"),
    ("/api/v1/billing/user/manage", "patch", "user-update"),
    ("/api/v1/billing/user/manage", "delete", "user-delete"),
    ("/api/v1/billing/user/manage/licenses", "post", "licenses"),
    (
        "/api/v1/billing/user/manage/licenses/check",
        "post",
        "licenses-check",
    ),
    ("/api/v1/billing/user/manage/cameras", "post", "cameras"),
    ("/api/v1/billing/user/manage/intercoms", "post", "intercoms"),
];

/// A schema file as the document carries it: without `$schema` and `$id`.
fn as_published(dir: &std::path::Path, name: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(format!("{name}.schema.json"))).unwrap();
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    let map = schema.as_object_mut().unwrap();
    map.remove("$schema");
    map.remove("$id");
    schema
}

fn check_against(doc: &Value, dir: &std::path::Path) {
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, method, file) in OPERATIONS {
        let op = &doc["paths"][path][method];
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["schema"],
            as_published(dir, file),
            "{method} {path}"
        );
        assert!(op["requestBody"]["content"]["application/json"]["example"].is_object());
        assert_eq!(
            op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ValidationError"
        );
        let success = op["responses"]
            .as_object()
            .unwrap()
            .keys()
            .find(|k| k.starts_with('2'))
            .cloned()
            .unwrap();
        assert!(
            ["200", "204"].contains(&success.as_str()),
            "{method} {path}"
        );
        // Every $ref resolves inside the document.
        for reference in refs(op) {
            let name = reference.strip_prefix("#/components/schemas/").unwrap();
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{reference}"
            );
        }
    }
}

fn refs(value: &Value) -> Vec<String> {
    match value {
        Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| match (k.as_str(), v) {
                ("$ref", Value::String(r)) => vec![r.clone()],
                _ => refs(v),
            })
            .collect(),
        Value::Array(items) => items.iter().flat_map(refs).collect(),
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn the_served_document_describes_the_loaded_schemas() {
    let server = TestServer::start().await;
    let answer = server
        .send(Method::GET, "/__admin/openapi.json", &[], "")
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    check_against(&answer.json(), &shipped);
}

#[tokio::test]
async fn tightening_a_schema_changes_the_document_and_the_printed_one_matches() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    for entry in std::fs::read_dir(&shipped).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let create = dir.path().join("user-create.schema.json");
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&create).unwrap()).unwrap();
    schema["properties"]["type"]["enum"] = json!(["b2b", "b2c"]);
    std::fs::write(&create, schema.to_string()).unwrap();
    let schemas = Schemas::load_dir(dir.path()).unwrap();
    let server = TestServer::with(|c| c.set_schemas(schemas)).await;
    let served = server
        .send(Method::GET, "/__admin/openapi.json", &[], "")
        .await
        .json();
    check_against(&served, dir.path());
    assert_eq!(
        served["paths"]["/api/v1/billing/user/manage"]["post"]["requestBody"]["content"]["application/json"]
            ["schema"]["properties"]["type"]["enum"],
        json!(["b2b", "b2c"])
    );
    let printed = tokio::process::Command::new(env!("CARGO_BIN_EXE_vms-billing-mock"))
        .args(["openapi", "--schemas", dir.path().to_str().unwrap()])
        .env_clear()
        .output()
        .await
        .unwrap();
    assert_eq!(printed.status.code(), Some(0));
    let printed: Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert_eq!(printed, served);
}
