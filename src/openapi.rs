//! The OpenAPI 3.1 document of the vendor API as the mock serves it: every endpoint with the
//! request schema it validates against (the loaded one, so `--schemas` changes the
//! document), its responses with schemas, and the vendor's examples. Printed by
//! `vms-billing-mock openapi` and served at `GET /__admin/openapi.json`.
//!
//! JSON Schema 2020-12 is OpenAPI 3.1's schema dialect, so the request schemas go in as they
//! are; a schema's own `$defs` move to `components/schemas` with their references.

use serde_json::{Map, Value, json};

use crate::validation::{SchemaId, Schemas};

/// The response schemas (`schemas/responses/`), compiled in.
const USER: &str = include_str!("../schemas/responses/user.schema.json");
const VALIDATION_ERROR: &str = include_str!("../schemas/responses/validation-error.schema.json");
const LICENSES_CHECK: &str = include_str!("../schemas/responses/licenses-check.schema.json");

/// A response schema by component name, parsed.
pub(crate) fn response_schema(name: &str) -> Value {
    let text = match name {
        "User" => USER,
        "ValidationError" => VALIDATION_ERROR,
        _ => LICENSES_CHECK,
    };
    // Compiled in and parsed by the test suite: a parse failure cannot reach a user.
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// One operation of the vendor API.
struct Operation {
    id: SchemaId,
    path: &'static str,
    method: &'static str,
    operation_id: &'static str,
    summary: &'static str,
    /// The success status and the response component it returns (`None`: no body).
    success: (&'static str, Option<&'static str>),
    example: Value,
}

fn operations() -> Vec<Operation> {
    let manage = "/api/v1/billing/user/manage";
    vec![
        Operation {
            id: SchemaId::UserCreate,
            path: manage,
            method: "post",
            operation_id: "createUser",
            summary: "Create a VMS user",
            success: ("200", Some("User")),
            example: json!({"login": "test@mail.com", "password": "qweasdzxc", "type": "type_value",
                "billing_info": {"billing_id": "123123123", "billing_extra": []}, "status": "active",
                "billing_properties": [{"type": "phone", "value": "+80283289362"}]}),
        },
        Operation {
            id: SchemaId::UserUpdate,
            path: manage,
            method: "patch",
            operation_id: "updateUser",
            summary: "Update a VMS user (only the fields given)",
            success: ("200", Some("User")),
            example: json!({"login": "test@mail.com", "status": "blocked",
                "permissions_to_attach": ["ptz"], "permissions_to_detach": ["archives-show"]}),
        },
        Operation {
            id: SchemaId::UserDelete,
            path: manage,
            method: "delete",
            operation_id: "deleteUser",
            summary: "Soft-delete a VMS user",
            success: ("204", None),
            example: json!({"login": "test@mail.com"}),
        },
        Operation {
            id: SchemaId::Licenses,
            path: "/api/v1/billing/user/manage/licenses",
            method: "post",
            operation_id: "setLicenses",
            summary: "Set a user's analytics licences",
            success: ("204", None),
            example: json!({"login": "test@mail.com", "analytic_l1": 2, "analytic_l2": null}),
        },
        Operation {
            id: SchemaId::LicensesCheck,
            path: "/api/v1/billing/user/manage/licenses/check",
            method: "post",
            operation_id: "checkLicenses",
            summary: "Check whether licences would fit the pool",
            success: ("200", Some("LicensesCheck")),
            example: json!({"login": "test@mail.com", "analytic_l1": 5}),
        },
        Operation {
            id: SchemaId::Cameras,
            path: "/api/v1/billing/user/manage/cameras",
            method: "post",
            operation_id: "syncCameras",
            summary: "Replace a user's cameras and groups",
            success: ("204", None),
            example: json!({"login": "test@mail.com", "camera_ids": [1, 2]}),
        },
        Operation {
            id: SchemaId::Intercoms,
            path: "/api/v1/billing/user/manage/intercoms",
            method: "post",
            operation_id: "syncIntercoms",
            summary: "Replace a user's intercoms",
            success: ("204", None),
            example: json!({"login": "test@mail.com", "sync": [{"intercom_id": 3, "flat": 12}]}),
        },
    ]
}

/// The document for the loaded schemas.
pub(crate) fn document(schemas: &Schemas) -> Value {
    let mut components = Map::new();
    for name in ["User", "ValidationError", "LicensesCheck"] {
        let mut schema = response_schema(name);
        strip_meta(&mut schema);
        components.insert(name.to_owned(), schema);
    }
    let mut paths = Map::new();
    for op in operations() {
        let mut request = schemas.get(op.id).document().clone();
        strip_meta(&mut request);
        hoist_defs(&mut request, op.operation_id, &mut components);
        let (status, body) = op.success;
        let success = match body {
            Some(component) => json!({
                "description": "Success",
                "content": {"application/json": {
                    "schema": {"$ref": format!("#/components/schemas/{component}")},
                    "example": success_example(component),
                }}
            }),
            None => json!({"description": "Success, no body"}),
        };
        let operation = json!({
            "operationId": op.operation_id,
            "summary": op.summary,
            "description": "Input is Laravel's `$request->all()`: a JSON body (or a form), plus query parameters for keys the body lacks; strings are trimmed (not passwords) and empty ones become null before the rules run. Send `Accept: application/json`: without it Laravel, and the mock, answer a validation failure with 302 and errors with HTML pages.",
            "requestBody": {
                "required": true,
                "content": {"application/json": {"schema": request, "example": op.example}}
            },
            "responses": {
                status: success,
                "422": {
                    "description": "Validation failed (Laravel's envelope)",
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/ValidationError"},
                        "example": {"message": "The login has already been taken.",
                            "errors": {"login": ["The login has already been taken."]}}
                    }}
                },
                "302": {"description": "Validation failed and the client did not ask for JSON (no `Accept: application/json`): Laravel redirects back, to the Referer or the site root",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": {"text/html": {"schema": {"type": "string"}}}},
                "413": {"description": "The body is over --max-body-bytes",
                    "content": {"application/json": {"schema": message_schema()}}},
                "500": {"description": "A scenario answers 500, a store is full, or the input is more than Laravel could validate in time",
                    "content": {"application/json": {"schema": message_schema()}}}
            }
        });
        let entry = paths
            .entry(op.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(methods) = entry {
            methods.insert(op.method.to_owned(), operation);
        }
    }
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "VMS Billing API (vms-billing-mock)",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The vendor's Billing API as the mock serves it: Laravel 10's input handling and validation, with the request schemas the mock has loaded.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": components},
    })
}

fn message_schema() -> Value {
    json!({"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}})
}

fn success_example(component: &str) -> Value {
    match component {
        "User" => json!({"id": 1, "login": "test@mail.com", "name": null, "type": "type_value",
            "status": "active", "created_at": "2023-05-02T10:18:50.000000Z",
            "updated_at": "2023-05-02T10:18:50.000000Z", "deleted_at": null,
            "can_update_password": false,
            "billing_properties": [{"type": "phone", "value": "+80283289362"}]}),
        _ => json!({"analytic_l1": true}),
    }
}

/// Drops the keywords that name a standalone schema document.
fn strip_meta(schema: &mut Value) {
    if let Value::Object(map) = schema {
        map.remove("$schema");
        map.remove("$id");
    }
}

/// Moves a schema's `$defs` into the components, renaming its `#/$defs/...` references.
fn hoist_defs(schema: &mut Value, prefix: &str, components: &mut Map<String, Value>) {
    let Some(Value::Object(defs)) = schema.as_object_mut().and_then(|m| m.remove("$defs")) else {
        return;
    };
    let rename = |name: &str| format!("{prefix}_{name}");
    let mut moved: Vec<(String, Value)> = defs.into_iter().collect();
    for (_, def) in &mut moved {
        rewrite_refs(def, prefix);
    }
    rewrite_refs(schema, prefix);
    for (name, def) in moved {
        components.insert(rename(&name), def);
    }
}

fn rewrite_refs(value: &mut Value, prefix: &str) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "$ref"
                    && let Value::String(target) = v
                    && let Some(name) = target.strip_prefix("#/$defs/")
                {
                    *target = format!("#/components/schemas/{prefix}_{name}");
                } else {
                    rewrite_refs(v, prefix);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, prefix)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_has_its_schema_and_responses() {
        let schemas = Schemas::embedded().expect("embedded");
        let doc = document(&schemas);
        assert_eq!(doc["openapi"], "3.1.0");
        let manage = &doc["paths"]["/api/v1/billing/user/manage"];
        assert_eq!(
            manage["post"]["requestBody"]["content"]["application/json"]["schema"]["required"],
            json!(["login", "password", "type", "status"])
        );
        assert!(
            manage["post"]["requestBody"]["content"]["application/json"]["schema"]
                .get("$schema")
                .is_none()
        );
        assert_eq!(
            manage["post"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/User"
        );
        assert_eq!(
            manage["delete"]["responses"]["204"]["description"],
            "Success, no body"
        );
        assert_eq!(doc["paths"].as_object().map(Map::len), Some(5));
        for name in ["User", "ValidationError", "LicensesCheck"] {
            assert!(doc["components"]["schemas"][name].is_object(), "{name}");
        }
    }

    #[test]
    fn defs_move_to_components_with_their_references() {
        let mut schema = json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}},
            "$defs": {"A": {"type": "string"}, "B": {"$ref": "#/$defs/A"}}});
        let mut components = Map::new();
        hoist_defs(&mut schema, "op", &mut components);
        assert_eq!(
            schema["properties"]["a"]["$ref"],
            "#/components/schemas/op_A"
        );
        assert_eq!(components["op_B"]["$ref"], "#/components/schemas/op_A");
        assert!(schema.get("$defs").is_none());
    }
}
