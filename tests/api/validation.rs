//! Every rule of CONTRACT 2.2 and the 422 envelope of 2.4, with the default schema.

use serde_json::{Value, json};

use crate::helpers::*;

fn with(field: &str, value: Value) -> Value {
    let mut body = user("v@mail.com");
    body[field] = value;
    body
}

fn without(field: &str) -> Value {
    let mut body = user("v@mail.com");
    body.as_object_mut().unwrap().remove(field);
    body
}

#[tokio::test]
async fn required_fields_fail_when_missing_null_blank_or_empty() {
    let server = TestServer::start().await;
    for field in ["login", "password", "type", "status"] {
        let message = format!("The {field} field is required.");
        server
            .create_user(&without(field))
            .await
            .assert_422(json!({ field: [message] }));
        for empty in [json!(null), json!(""), json!("   "), json!([]), json!({})] {
            let answer = server.create_user(&with(field, empty.clone())).await;
            answer.assert_422(json!({ field: [message] }));
        }
    }
}

#[tokio::test]
async fn string_fields_reject_other_types() {
    let server = TestServer::start().await;
    for field in ["login", "password", "type", "status"] {
        let message = format!("The {field} field must be a string.");
        for value in [
            json!(5),
            json!(1.5),
            json!(true),
            json!(["a"]),
            json!({"a": 1}),
        ] {
            server
                .create_user(&with(field, value))
                .await
                .assert_422(json!({ field: [message] }));
        }
    }
}

#[tokio::test]
async fn max_255_counts_characters_not_bytes() {
    let server = TestServer::start().await;
    for field in ["login", "type", "status"] {
        let mut ok = with(field, json!("ж".repeat(255)));
        if field != "login" {
            ok["login"] = json!(format!("{field}-ok@x.com"));
        }
        let answer = server.create_user(&ok).await;
        assert_eq!(answer.status, 200, "{field}: {}", answer.text());
        let mut body = with(field, json!("x".repeat(256)));
        body["login"] = if field == "login" {
            json!("x".repeat(256))
        } else {
            json!(format!("{field}@long.com"))
        };
        let message = format!("The {field} field must not be greater than 255 characters.");
        server
            .create_user(&body)
            .await
            .assert_422(json!({ field: [message] }));
    }
}

#[tokio::test]
async fn password_has_no_length_limit() {
    let server = TestServer::start().await;
    let answer = server
        .create_user(&with("password", json!("p".repeat(5000))))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
}

#[tokio::test]
async fn billing_info_accepts_object_list_null_and_absence() {
    let server = TestServer::start().await;
    for (i, value) in [
        json!({"billing_id": "1", "billing_extra": {"a": 1}}),
        json!([]),
        json!([1, 2]),
        json!(null),
        json!(""),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = with("billing_info", value);
        body["login"] = json!(format!("bi{i}@x.com"));
        let answer = server.create_user(&body).await;
        assert_eq!(answer.status, 200, "{}", answer.text());
    }
    let answer = server.create_user(&without("billing_info")).await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn billing_info_must_be_an_array() {
    let server = TestServer::start().await;
    for value in [json!("text"), json!(5), json!(true)] {
        server
            .create_user(&with("billing_info", value))
            .await
            .assert_422(json!({"billing_info": ["The billing info field must be an array."]}));
    }
}

#[tokio::test]
async fn billing_info_children_are_nullable_and_typed() {
    let server = TestServer::start().await;
    let answer = server
        .create_user(&with(
            "billing_info",
            json!({"billing_id": 123, "billing_extra": "x"}),
        ))
        .await;
    answer.assert_422(json!({
        "billing_info.billing_id": ["The billing info.billing id field must be a string."],
        "billing_info.billing_extra": ["The billing info.billing extra field must be an array."]
    }));
    let ok = server
        .create_user(&with(
            "billing_info",
            json!({"billing_id": null, "billing_extra": null}),
        ))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text());
}

#[tokio::test]
async fn billing_properties_is_a_nullable_array() {
    let server = TestServer::start().await;
    for (i, value) in [json!([]), json!(null), json!({})].into_iter().enumerate() {
        let mut body = with("billing_properties", value);
        body["login"] = json!(format!("bp{i}@x.com"));
        let answer = server.create_user(&body).await;
        assert_eq!(answer.status, 200, "{}", answer.text());
        assert_eq!(answer.json()["billing_properties"], json!([]));
    }
    server
        .create_user(&with("billing_properties", json!("phone")))
        .await
        .assert_422(
            json!({"billing_properties": ["The billing properties field must be an array."]}),
        );
}

#[tokio::test]
async fn billing_property_elements_need_string_type_and_value_with_raw_dotted_names() {
    let server = TestServer::start().await;
    let answer = server
        .create_user(&with(
            "billing_properties",
            json!([
                {"type": "phone", "value": "1"},
                {"type": 5, "value": ""},
                "not an object",
                {"type": "t".repeat(256), "value": "v".repeat(256)}
            ]),
        ))
        .await;
    answer.assert_422(json!({
        "billing_properties.1.type": ["The billing_properties.1.type field must be a string."],
        "billing_properties.2.type": ["The billing_properties.2.type field is required."],
        "billing_properties.3.type": ["The billing_properties.3.type field must not be greater than 255 characters."],
        "billing_properties.1.value": ["The billing_properties.1.value field is required."],
        "billing_properties.2.value": ["The billing_properties.2.value field is required."],
        "billing_properties.3.value": ["The billing_properties.3.value field must not be greater than 255 characters."]
    }));
    // Laravel expands each wildcard rule in turn: every element's type, then every value.
    assert_eq!(
        answer.error_fields(),
        [
            "billing_properties.1.type",
            "billing_properties.2.type",
            "billing_properties.3.type",
            "billing_properties.1.value",
            "billing_properties.2.value",
            "billing_properties.3.value"
        ]
    );
}

#[tokio::test]
async fn billing_properties_object_form_uses_its_keys_in_field_names() {
    let server = TestServer::start().await;
    server
        .create_user(&with("billing_properties", json!({"home": {"type": "phone"}})))
        .await
        .assert_422(json!({"billing_properties.home.value": ["The billing_properties.home.value field is required."]}));
}

#[tokio::test]
async fn unique_login_is_case_insensitive_and_checked_only_after_other_login_rules_pass() {
    let server = TestServer::start().await;
    assert_eq!(
        server.create_user(&user("Taken@Mail.com")).await.status,
        200
    );
    server
        .create_user(&user("taken@mail.COM"))
        .await
        .assert_422(json!({"login": ["The login has already been taken."]}));
    // Unique is reported alongside other fields' failures, in rule order.
    let mut body = user("TAKEN@mail.com");
    body.as_object_mut().unwrap().remove("password");
    let answer = server.create_user(&body).await;
    answer.assert_422(json!({
        "login": ["The login has already been taken."],
        "password": ["The password field is required."]
    }));
    assert_eq!(answer.error_fields(), ["login", "password"]);
}

#[tokio::test]
async fn summary_counts_one_two_and_five_errors() {
    let server = TestServer::start().await;
    let one = server.create_user(&without("status")).await;
    assert_eq!(one.json()["message"], "The status field is required.");
    let two = server
        .create_user(&json!({"password": "x", "type": "t"}))
        .await;
    assert_eq!(
        two.json()["message"],
        "The login field is required. (and 1 more error)"
    );
    let five = server
        .create_user(
            &json!({"billing_info": 1, "billing_properties": [{"type": "x", "value": "y"}]}),
        )
        .await;
    assert_eq!(
        five.text(),
        r#"{"message":"The login field is required. (and 4 more errors)","errors":{"login":["The login field is required."],"password":["The password field is required."],"type":["The type field is required."],"status":["The status field is required."],"billing_info":["The billing info field must be an array."]}}"#
    );
}

#[tokio::test]
async fn error_keys_follow_laravel_rule_order() {
    let server = TestServer::start().await;
    let answer = server
        .create_user(&json!({
            "billing_properties": [{"value": 1}],
            "status": 1, "billing_info": {"billing_extra": 2, "billing_id": 3}, "login": 4
        }))
        .await;
    assert_eq!(
        answer.error_fields(),
        [
            "login",
            "password",
            "type",
            "status",
            "billing_info.billing_id",
            "billing_info.billing_extra",
            "billing_properties.0.type",
            "billing_properties.0.value"
        ]
    );
}
