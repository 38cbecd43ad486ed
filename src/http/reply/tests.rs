use super::*;
use crate::clock::Timestamp;
use crate::store::{Property, User, UserDraft};

#[test]
fn user_object_has_the_documented_key_order_and_laravel_escaping() {
    let mut u = User::new(
        UserDraft {
            login: "é/x@mail.com".into(),
            kind: "b2c".into(),
            status: "active".into(),
            billing_properties: vec![Property {
                kind: "phone".into(),
                value: "+8\"0".into(),
            }]
            .into(),
            billing_info: None,
            password: String::new(),
            now: Timestamp::from_unix_seconds(0),
        },
        0,
    );
    u.id = 1;
    assert_eq!(
        String::from_utf8(user_json(&u)).unwrap(),
        r#"{"id":1,"login":"\u00e9\/x@mail.com","name":null,"type":"b2c","status":"active","created_at":"1970-01-01T00:00:00.000000Z","updated_at":"1970-01-01T00:00:00.000000Z","deleted_at":null,"can_update_password":false,"billing_properties":[{"type":"phone","value":"+8\"0"}]}"#
    );
}

#[test]
fn exception_bodies_are_pretty_printed_with_unescaped_slashes() {
    assert_eq!(
        String::from_utf8(pretty_message("The route api/v1/foo could not be found.")).unwrap(),
        "{\n    \"message\": \"The route api/v1/foo could not be found.\"\n}"
    );
}

#[test]
fn previous_url_is_the_referer_made_absolute() {
    let root = "http://127.0.0.1:8080";
    assert_eq!(absolute(None, root), root);
    assert_eq!(
        absolute(Some("/back/here"), root),
        "http://127.0.0.1:8080/back/here"
    );
    assert_eq!(
        absolute(Some("back?x=1"), root),
        "http://127.0.0.1:8080/back?x=1"
    );
    assert_eq!(
        absolute(Some("http://example.com/x?y"), root),
        "http://example.com/x?y"
    );
    assert_eq!(absolute(Some("//evil.example/x"), root), "//evil.example/x");
}
