use super::*;
use crate::http::page::absolute;

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
