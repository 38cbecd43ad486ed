//! The user lifecycle beyond creation: update, delete, licences, cameras, intercoms.

use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const LICENSES: &str = "/api/v1/billing/user/manage/licenses";
const LICENSES_CHECK: &str = "/api/v1/billing/user/manage/licenses/check";
const CAMERAS: &str = "/api/v1/billing/user/manage/cameras";
const INTERCOMS: &str = "/api/v1/billing/user/manage/intercoms";

async fn call(server: &TestServer, method: Method, path: &str, body: &Value) -> Answer {
    server
        .send(method, path, JSON_HEADERS, body.to_string())
        .await
}

async fn set_clock(server: &TestServer, instant: &str) {
    let answer = server
        .admin(Method::PUT, "/clock", Some(&json!({"clock": instant})))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

async fn admin_user(server: &TestServer, login: &str) -> Value {
    let answer = server
        .admin(Method::GET, &format!("/users/{login}"), None)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.json()
}

async fn frozen_server() -> TestServer {
    let server = TestServer::with_scenario(shipped("documented-example")).await;
    assert_eq!(
        server.create_user(&vendor_example()).await.status,
        StatusCode::OK
    );
    server
}

fn invalid_login() -> Value {
    json!({"login": ["The selected login is invalid."]})
}

#[tokio::test]
async fn the_whole_lifecycle_in_one_test() {
    let server = frozen_server().await;
    set_clock(&server, "2023-06-01T08:00:00Z").await;
    let patched = call(
        &server,
        Method::PATCH,
        USERS,
        &json!({"login": "test@mail.com", "status": "blocked"}),
    )
    .await;
    assert_eq!(
        patched.text(),
        r#"{"id":1,"login":"test@mail.com","name":null,"type":"type_value","status":"blocked","created_at":"2023-05-02T10:18:50.000000Z","updated_at":"2023-06-01T08:00:00.000000Z","deleted_at":null,"can_update_password":false,"billing_properties":[{"type":"phone","value":"+80283289362"}]}"#
    );
    let perms = json!({"login": "test@mail.com", "permissions_to_attach": ["archives-show", "ptz", "analytic"], "permissions_to_detach": ["ptz"]});
    assert_eq!(
        call(&server, Method::PATCH, USERS, &perms).await.status,
        StatusCode::OK
    );
    let licences = call(
        &server,
        Method::POST,
        LICENSES,
        &json!({"login": "test@mail.com", "analytic_l1": 2, "analytic_l2": null, "analytic_l3": 1}),
    )
    .await;
    assert_eq!(
        (licences.status, licences.text()),
        (StatusCode::NO_CONTENT, "")
    );
    assert_eq!(licences.header("content-type"), None);
    let cameras = json!({"login": "test@mail.com", "camera_ids": [10, 11], "camera_external_ids": ["cam-a", 7],
                         "public_group_external_ids": ["pub-1"], "private_group_external_ids": [{"key": "home", "group_external_id": "g-1"}]});
    assert_eq!(
        call(&server, Method::POST, CAMERAS, &cameras).await.status,
        StatusCode::NO_CONTENT
    );
    let intercoms = json!({"login": "test@mail.com", "sync": [{"intercom_external_id": "door-1", "flat": 12}, {"intercom_id": 3, "flat": 4}]});
    assert_eq!(
        call(&server, Method::POST, INTERCOMS, &intercoms)
            .await
            .status,
        StatusCode::NO_CONTENT
    );

    let view = admin_user(&server, "test@mail.com").await;
    assert_eq!(view["status"], "blocked");
    assert_eq!(view["permissions"], json!(["archives-show", "analytic"]));
    assert_eq!(
        view["licenses"],
        json!({"analytic_l1": 2, "analytic_l2": null, "analytic_l3": 1})
    );
    assert_eq!(
        view["cameras"],
        json!({"camera_ids": [10, 11], "camera_external_ids": ["cam-a", 7], "public_group_external_ids": ["pub-1"],
               "private_group_external_ids": [{"key": "home", "group_external_id": "g-1"}]})
    );
    assert_eq!(
        view["intercoms"],
        json!([{"intercom_external_id": "door-1", "flat": 12}, {"intercom_id": 3, "flat": 4}])
    );
    assert!(view.get("password").is_none() && view.get("password_hash").is_none());

    set_clock(&server, "2023-07-01T00:00:00Z").await;
    let deleted = call(
        &server,
        Method::DELETE,
        USERS,
        &json!({"login": "TEST@mail.com"}),
    )
    .await;
    assert_eq!(
        (deleted.status, deleted.text()),
        (StatusCode::NO_CONTENT, "")
    );
    // Gone from the API...
    call(
        &server,
        Method::PATCH,
        USERS,
        &json!({"login": "test@mail.com", "status": "active"}),
    )
    .await
    .assert_422(invalid_login());
    call(
        &server,
        Method::DELETE,
        USERS,
        &json!({"login": "test@mail.com"}),
    )
    .await
    .assert_422(invalid_login());
    // ...kept in the admin view with deleted_at...
    let view = admin_user(&server, "test@mail.com").await;
    assert_eq!(view["deleted_at"], "2023-07-01T00:00:00.000000Z");
    assert_eq!(
        server.admin(Method::GET, "/users", None).await.text(),
        r#"{"users":[]}"#
    );
    // ...and the login can be created again, with a new id.
    let again = server.create_user(&vendor_example()).await;
    assert_eq!(again.json()["id"], 2);
    assert_eq!(
        admin_user(&server, "test@mail.com").await["permissions"],
        json!([])
    );
}

#[tokio::test]
async fn patch_changes_only_the_fields_given() {
    let server = frozen_server().await;
    let answer = call(
        &server,
        Method::PATCH,
        USERS,
        &json!({"login": "test@mail.com"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.text(), VENDOR_RESPONSE);
    let answer = call(
        &server,
        Method::PATCH,
        USERS,
        &json!({"login": " test@mail.com ", "billing_properties": [{"type": "email", "value": "x@y.z"}], "billing_info": null, "type": "ignored"}),
    )
    .await;
    let user = answer.json();
    assert_eq!(
        user["billing_properties"],
        json!([{"type": "email", "value": "x@y.z"}])
    );
    assert_eq!(user["type"], "type_value");
    assert_eq!(user["status"], "active");
    assert_eq!(
        admin_user(&server, "test@mail.com").await["billing_info"],
        Value::Null
    );
    let answer = call(
        &server,
        Method::PATCH,
        USERS,
        &json!({"login": "test@mail.com", "billing_properties": null}),
    )
    .await;
    assert_eq!(answer.json()["billing_properties"], json!([]));
}

#[tokio::test]
async fn patch_validates_every_rule_of_its_schema() {
    let server = frozen_server().await;
    call(&server, Method::PATCH, USERS, &json!({}))
        .await
        .assert_422(json!({"login": ["The login field is required."]}));
    call(&server, Method::PATCH, USERS, &json!({"login": 5}))
        .await
        .assert_422(json!({"login": ["The login field must be a string."]}));
    call(
        &server,
        Method::PATCH,
        USERS,
        &json!({"login": "x".repeat(256)}),
    )
    .await
    .assert_422(json!({"login": ["The login field must not be greater than 255 characters."]}));
    call(
        &server,
        Method::PATCH,
        USERS,
        &json!({"login": "nobody@x.com"}),
    )
    .await
    .assert_422(invalid_login());
    let answer = call(
        &server,
        Method::PATCH,
        USERS,
        &json!({"login": "nobody@x.com", "password": 123, "status": "", "billing_info": "x",
                "billing_properties": [{"type": "t"}], "permissions_to_attach": ["archives-show", "fly"], "permissions_to_detach": "ptz"}),
    )
    .await;
    answer.assert_422(json!({
        "login": ["The selected login is invalid."],
        "password": ["The password field must be a string."],
        "status": ["The status field must be a string."],
        "billing_info": ["The billing info field must be an array."],
        "permissions_to_detach": ["The permissions to detach field must be an array."],
        "billing_properties.0.value": ["The billing_properties.0.value field is required."],
        "permissions_to_attach.1": ["The selected permissions_to_attach.1 is invalid."]
    }));
    assert_eq!(
        answer.error_fields(),
        [
            "login",
            "password",
            "status",
            "billing_info",
            "permissions_to_detach",
            "billing_properties.0.value",
            "permissions_to_attach.1"
        ]
    );
    call(
        &server,
        Method::PATCH,
        USERS,
        &json!({"login": "test@mail.com", "status": "s".repeat(256)}),
    )
    .await
    .assert_422(json!({"status": ["The status field must not be greater than 255 characters."]}));
    call(
        &server,
        Method::PATCH,
        USERS,
        &json!({"login": "test@mail.com", "billing_info": {"billing_id": 1}}),
    )
    .await
    .assert_422(
        json!({"billing_info.billing_id": ["The billing info.billing id field must be a string."]}),
    );
    call(
        &server,
        Method::PATCH,
        USERS,
        &json!({"login": "test@mail.com", "permissions_to_attach": [5]}),
    )
    .await
    .assert_422(
        json!({"permissions_to_attach.0": ["The permissions_to_attach.0 field must be a string.", "The selected permissions_to_attach.0 is invalid."]}),
    );
}

#[tokio::test]
async fn permissions_form_a_duplicate_free_set() {
    let server = frozen_server().await;
    let patch = |body: Value| {
        let server = &server;
        async move { call(server, Method::PATCH, USERS, &body).await.status }
    };
    assert_eq!(
        patch(
            json!({"login": "test@mail.com", "permissions_to_attach": ["ptz", "ptz", "bridges"]})
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        patch(
            json!({"login": "test@mail.com", "permissions_to_attach": ["bridges", "archives-show"]})
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        admin_user(&server, "test@mail.com").await["permissions"],
        json!(["ptz", "bridges", "archives-show"])
    );
    // Detaching what is not there is not an error.
    assert_eq!(
        patch(json!({"login": "test@mail.com", "permissions_to_detach": ["users-index", "ptz"]}))
            .await,
        StatusCode::OK
    );
    assert_eq!(
        admin_user(&server, "test@mail.com").await["permissions"],
        json!(["bridges", "archives-show"])
    );
    // Attach happens before detach.
    assert_eq!(patch(json!({"login": "test@mail.com", "permissions_to_attach": ["marks-index"], "permissions_to_detach": ["marks-index"]})).await, StatusCode::OK);
    assert_eq!(
        admin_user(&server, "test@mail.com").await["permissions"],
        json!(["bridges", "archives-show"])
    );
}

#[tokio::test]
async fn password_changes_are_remembered_as_a_hash_and_can_be_verified() {
    let server = frozen_server().await;
    let check = |login: &'static str, password: &'static str| {
        let server = &server;
        async move {
            server
                .admin(
                    Method::POST,
                    &format!("/users/{login}/password-check"),
                    Some(&json!({"password": password})),
                )
                .await
        }
    };
    assert_eq!(
        check("test@mail.com", "qweasdzxc").await.text(),
        r#"{"matches":true}"#
    );
    assert_eq!(
        check("test@mail.com", "wrong").await.text(),
        r#"{"matches":false}"#
    );
    call(
        &server,
        Method::PATCH,
        USERS,
        &json!({"login": "test@mail.com", "password": " n3w pass "}),
    )
    .await;
    assert_eq!(
        check("TEST@mail.com", "qweasdzxc").await.text(),
        r#"{"matches":false}"#
    );
    // Passwords are not trimmed.
    assert_eq!(
        check("test@mail.com", "n3w pass").await.text(),
        r#"{"matches":false}"#
    );
    assert_eq!(
        check("test@mail.com", " n3w pass ").await.text(),
        r#"{"matches":true}"#
    );
    let missing = check("nobody", "x").await;
    assert_eq!(
        (missing.status, missing.text()),
        (
            StatusCode::NOT_FOUND,
            r#"{"error":"no user with login \"nobody\""}"#
        )
    );
    let bad = server
        .admin(
            Method::POST,
            "/users/test@mail.com/password-check",
            Some(&json!({"pass": "x"})),
        )
        .await;
    assert_eq!(
        (bad.status, bad.json()["error"].clone()),
        (
            StatusCode::BAD_REQUEST,
            json!("body: password: required, a string")
        )
    );
    // Nothing the mock shows contains a password.
    let everything = format!(
        "{}{}{}",
        server.admin(Method::GET, "/users", None).await.text(),
        server
            .admin(Method::GET, "/users/test@mail.com", None)
            .await
            .text(),
        server.admin(Method::GET, "/requests", None).await.text()
    );
    for secret in ["qweasdzxc", "n3w pass"] {
        assert!(!everything.contains(secret), "{secret}");
    }
}

#[tokio::test]
async fn delete_validates_its_login() {
    let server = frozen_server().await;
    call(&server, Method::DELETE, USERS, &json!({}))
        .await
        .assert_422(json!({"login": ["The login field is required."]}));
    call(&server, Method::DELETE, USERS, &json!({"login": ["a"]}))
        .await
        .assert_422(json!({"login": ["The login field must be a string."]}));
    call(
        &server,
        Method::DELETE,
        USERS,
        &json!({"login": "x".repeat(300)}),
    )
    .await
    .assert_422(json!({"login": ["The login field must not be greater than 255 characters."]}));
    call(
        &server,
        Method::DELETE,
        USERS,
        &json!({"login": "ghost@x.com"}),
    )
    .await
    .assert_422(invalid_login());
}

#[tokio::test]
async fn licences_validate_levels_and_login() {
    let server = frozen_server().await;
    for path in [LICENSES, LICENSES_CHECK] {
        call(&server, Method::POST, path, &json!({"analytic_l1": 1}))
            .await
            .assert_422(json!({"login": ["The login field is required."]}));
        call(
            &server,
            Method::POST,
            path,
            &json!({"login": "ghost@x.com"}),
        )
        .await
        .assert_422(invalid_login());
        call(&server, Method::POST, path, &json!({"login": "test@mail.com", "analytic_l1": "two", "analytic_l2": 1.5, "analytic_l3": -1}))
            .await
            .assert_422(json!({
                "analytic_l1": ["The analytic l1 field must be an integer."],
                "analytic_l2": ["The analytic l2 field must be an integer."],
                "analytic_l3": ["The analytic l3 field must be at least 0."]
            }));
        // Laravel's `integer` is `filter_var(..., FILTER_VALIDATE_INT)`: "2" and 2.0 pass,
        // 1e20 (printed 1.0E+20 by PHP) does not.
        let ok = call(
            &server,
            Method::POST,
            path,
            &json!({"login": "test@mail.com", "analytic_l1": "2", "analytic_l2": 2.0}),
        )
        .await;
        assert!(ok.status.is_success(), "{}", ok.text());
        call(
            &server,
            Method::POST,
            path,
            &json!({"login": "test@mail.com", "analytic_l1": 1e20}),
        )
        .await
        .assert_422(json!({"analytic_l1": ["The analytic l1 field must be an integer."]}));
    }
}

#[tokio::test]
async fn licence_check_answers_only_requested_levels() {
    let server = frozen_server().await;
    let answer = call(
        &server,
        Method::POST,
        LICENSES_CHECK,
        &json!({"login": "test@mail.com", "analytic_l3": 9, "analytic_l1": null}),
    )
    .await;
    assert_eq!(
        (answer.status, answer.text()),
        (StatusCode::OK, r#"{"analytic_l1":true,"analytic_l3":true}"#)
    );
    let answer = call(
        &server,
        Method::POST,
        LICENSES_CHECK,
        &json!({"login": "test@mail.com"}),
    )
    .await;
    // The vendor's answer is a PHP array: with no level in it, Laravel's JSON is `[]`, as the
    // reference Laravel app answers.
    assert_eq!((answer.status, answer.text()), (StatusCode::OK, "[]"));
}

#[tokio::test]
async fn scenario_licence_caps_limit_check_and_assignment() {
    let server = TestServer::with_scenario(scenario(&json!({
        "name": "caps",
        "settings": {"licenses_available": {"analytic_l1": 5, "analytic_l2": 0}},
        "users": [
            {"login": "a@x.com", "password": "p", "type": "b2c", "status": "active"},
            {"login": "b@x.com", "password": "p", "type": "b2c", "status": "active"}
        ]
    })))
    .await;
    assert_eq!(
        call(
            &server,
            Method::POST,
            LICENSES,
            &json!({"login": "a@x.com", "analytic_l1": 3, "analytic_l3": 100})
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    let check = call(
        &server,
        Method::POST,
        LICENSES_CHECK,
        &json!({"login": "b@x.com", "analytic_l1": 3, "analytic_l2": 1, "analytic_l3": 1000}),
    )
    .await;
    assert_eq!(
        check.text(),
        r#"{"analytic_l1":false,"analytic_l2":false,"analytic_l3":true}"#
    );
    let check = call(
        &server,
        Method::POST,
        LICENSES_CHECK,
        &json!({"login": "b@x.com", "analytic_l1": 2, "analytic_l2": 0}),
    )
    .await;
    assert_eq!(check.text(), r#"{"analytic_l1":true,"analytic_l2":true}"#);
    call(
        &server,
        Method::POST,
        LICENSES,
        &json!({"login": "b@x.com", "analytic_l1": 3}),
    )
    .await
    .assert_422(json!({"analytic_l1": ["The analytic l1 field must not be greater than 2."]}));
    // Replacing a's own licences does not count a's current ones.
    assert_eq!(
        call(
            &server,
            Method::POST,
            LICENSES,
            &json!({"login": "a@x.com", "analytic_l1": 5})
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        admin_user(&server, "a@x.com").await["licenses"],
        json!({"analytic_l1": 5, "analytic_l2": null, "analytic_l3": null})
    );
}

#[tokio::test]
async fn camera_sync_validates_and_replaces_the_whole_set() {
    let server = frozen_server().await;
    let answer = call(
        &server,
        Method::POST,
        CAMERAS,
        &json!({"login": "test@mail.com", "camera_ids": [1, "two", 0], "camera_external_ids": "x",
                "public_group_external_ids": [true], "private_group_external_ids": [{"group_external_id": 1}, {"key": 5, "group_external_id": null}]}),
    )
    .await;
    answer.assert_422(json!({
        "camera_external_ids": ["The camera external ids field must be an array."],
        "camera_ids.1": ["The camera_ids.1 field must be an integer."],
        "camera_ids.2": ["The camera_ids.2 field must be at least 1."],
        "public_group_external_ids.0": ["The public_group_external_ids.0 field must be an integer."],
        "private_group_external_ids.0.key": ["The private_group_external_ids.0.key field is required."],
        "private_group_external_ids.1.key": ["The private_group_external_ids.1.key field must be a string."],
        "private_group_external_ids.1.group_external_id": ["The private_group_external_ids.1.group_external_id field is required."]
    }));
    call(&server, Method::POST, CAMERAS, &json!({"login": "ghost"}))
        .await
        .assert_422(invalid_login());
    call(
        &server,
        Method::POST,
        CAMERAS,
        &json!({"login": "test@mail.com", "camera_ids": [1, 2]}),
    )
    .await;
    call(
        &server,
        Method::POST,
        CAMERAS,
        &json!({"login": "test@mail.com", "camera_external_ids": ["e"]}),
    )
    .await;
    assert_eq!(
        admin_user(&server, "test@mail.com").await["cameras"],
        json!({"camera_ids": [], "camera_external_ids": ["e"], "public_group_external_ids": [], "private_group_external_ids": []})
    );
}

#[tokio::test]
async fn intercom_sync_validates_and_replaces_the_list() {
    let server = frozen_server().await;
    let answer = call(
        &server,
        Method::POST,
        INTERCOMS,
        &json!({"login": "test@mail.com", "sync": [{"flat": 1}, {"intercom_id": "x", "flat": "2"}, {"intercom_external_id": "d"}, 7]}),
    )
    .await;
    // Laravel's `integer` takes "2"; a non-object element lacks every key, so it fails
    // `required_without` too. Keys in Laravel's rule order: each rule over every element.
    answer.assert_422(json!({
        "sync.0.intercom_external_id": ["The sync.0.intercom_external_id field is required when sync.0.intercom_id is not present."],
        "sync.3.intercom_external_id": ["The sync.3.intercom_external_id field is required when sync.3.intercom_id is not present."],
        "sync.1.intercom_id": ["The sync.1.intercom_id field must be an integer."],
        "sync.2.flat": ["The sync.2.flat field is required."],
        "sync.3.flat": ["The sync.3.flat field is required."]
    }));
    assert_eq!(
        answer.error_fields(),
        [
            "sync.0.intercom_external_id",
            "sync.3.intercom_external_id",
            "sync.1.intercom_id",
            "sync.2.flat",
            "sync.3.flat"
        ]
    );
    call(
        &server,
        Method::POST,
        INTERCOMS,
        &json!({"login": "test@mail.com", "sync": "x"}),
    )
    .await
    .assert_422(json!({"sync": ["The sync field must be an array."]}));
    call(
        &server,
        Method::POST,
        INTERCOMS,
        &json!({"login": "test@mail.com", "sync": [{"intercom_id": 1, "flat": 2}]}),
    )
    .await;
    assert_eq!(
        admin_user(&server, "test@mail.com").await["intercoms"],
        json!([{"intercom_id": 1, "flat": 2}])
    );
    assert_eq!(
        call(
            &server,
            Method::POST,
            INTERCOMS,
            &json!({"login": "test@mail.com", "sync": []})
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        admin_user(&server, "test@mail.com").await["intercoms"],
        json!([])
    );
}

#[tokio::test]
async fn russian_required_without_message() {
    let server = TestServer::with(|c| c.set_locale(vms_billing_mock::Locale::Ru)).await;
    server.create_user(&user("a@x.com")).await;
    call(&server, Method::POST, INTERCOMS, &json!({"login": "a@x.com", "sync": [{"flat": 1}]}))
        .await
        .assert_laravel_json(r#"{"message":"Поле sync.0.intercom_external_id обязательно для заполнения, когда sync.0.intercom_id не указано.","errors":{"sync.0.intercom_external_id":["Поле sync.0.intercom_external_id обязательно для заполнения, когда sync.0.intercom_id не указано."]}}"#);
}

#[tokio::test]
async fn russian_exists_message_is_laravel_langs() {
    let server = TestServer::with(|c| c.set_locale(vms_billing_mock::Locale::Ru)).await;
    call(&server, Method::PATCH, USERS, &json!({"login": "ghost@x.com"}))
        .await
        .assert_laravel_json(r#"{"message":"Значение поля login не существует.","errors":{"login":["Значение поля login не существует."]}}"#);
}

#[tokio::test]
async fn posting_an_existing_login_is_a_create_and_fails_like_the_real_api() {
    // The vendor's update page shows a cURL with POST: that is a create.
    let server = frozen_server().await;
    server
        .create_user(
            &json!({"login": "test@mail.com", "password": "x", "type": "t", "status": "blocked"}),
        )
        .await
        .assert_422(json!({"login": ["The login has already been taken."]}));
    assert_eq!(
        admin_user(&server, "test@mail.com").await["status"],
        "active"
    );
}

#[tokio::test]
async fn rules_and_journal_cover_every_endpoint() {
    let server = TestServer::with_scenario(scenario(&json!({
        "name": "lifecycle-rules",
        "users": [{"login": "a@x.com", "password": "p", "type": "b2c", "status": "active"}],
        "rules": [
            {"name": "no deletes", "match": {"method": "DELETE", "path": "/api/v1/billing/user/manage"}, "respond": {"status": 503}},
            {"name": "camera outage", "match": {"path": {"regex": "/cameras$"}}, "respond": {"fault": "empty_response"}},
            {"name": "intercom 422", "match": {"path": "/api/v1/billing/user/manage/intercoms", "body": {"sync": {"exists": true}}},
             "respond": {"errors": {"sync.0.flat": ["The sync.0.flat field is required."]}}}
        ]
    })))
    .await;
    assert_eq!(
        call(&server, Method::DELETE, USERS, &json!({"login": "a@x.com"}))
            .await
            .status
            .as_u16(),
        503
    );
    let mut client = server.connect().await;
    assert!(
        client
            .try_send(
                Method::POST,
                CAMERAS,
                JSON_HEADERS,
                json!({"login": "a@x.com"}).to_string()
            )
            .await
            .is_err()
    );
    call(
        &server,
        Method::POST,
        INTERCOMS,
        &json!({"login": "a@x.com", "sync": []}),
    )
    .await
    .assert_422(json!({"sync.0.flat": ["The sync.0.flat field is required."]}));
    assert_eq!(
        call(
            &server,
            Method::PATCH,
            USERS,
            &json!({"login": "a@x.com", "status": "blocked", "password": "s3cr3t"})
        )
        .await
        .status,
        StatusCode::OK
    );
    let journal = server.admin(Method::GET, "/requests", None).await;
    assert!(!journal.text().contains("s3cr3t"));
    let rows: Vec<(String, String, Value, String)> = journal.json()["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap().to_owned(),
                r["path"].as_str().unwrap().to_owned(),
                r["status"].clone(),
                r["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "DELETE".to_owned(),
                USERS.to_owned(),
                json!(503),
                "no deletes".to_owned()
            ),
            (
                "POST".to_owned(),
                CAMERAS.to_owned(),
                Value::Null,
                "camera outage".to_owned()
            ),
            (
                "POST".to_owned(),
                INTERCOMS.to_owned(),
                json!(422),
                "intercom 422".to_owned()
            ),
            (
                "PATCH".to_owned(),
                USERS.to_owned(),
                json!(200),
                "default".to_owned()
            ),
        ]
    );
    let count = server
        .admin(
            Method::POST,
            "/requests/count",
            Some(&json!({"match": {"method": "PATCH", "body": {"status": "blocked"}}})),
        )
        .await;
    assert_eq!(count.text(), r#"{"count":1}"#);
}

#[tokio::test]
async fn clock_can_be_read_frozen_and_released() {
    let server = TestServer::start().await;
    let frozen = server
        .admin(
            Method::PUT,
            "/clock",
            Some(&json!({"clock": "2024-02-29T12:00:00+03:00"})),
        )
        .await;
    assert_eq!(
        frozen.text(),
        r#"{"clock":"2024-02-29T09:00:00.000000Z","frozen":true}"#
    );
    assert_eq!(
        server.create_user(&user("c@x.com")).await.json()["created_at"],
        "2024-02-29T09:00:00.000000Z"
    );
    let real = server
        .admin(Method::PUT, "/clock", Some(&json!({"clock": null})))
        .await
        .json();
    assert_eq!(real["frozen"], false);
    let bad = server
        .admin(Method::PUT, "/clock", Some(&json!({"clock": "soon"})))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.json()["error"],
        "body: clock: invalid instant \"soon\": expected RFC 3339 such as 2023-05-02T10:18:50Z (too short)"
    );
}
