use super::*;

#[test]
fn exception_bodies_are_pretty_printed_with_unescaped_slashes() {
    assert_eq!(
        String::from_utf8(pretty_message("The route api/v1/foo could not be found.")).unwrap(),
        "{\n    \"message\": \"The route api/v1/foo could not be found.\"\n}"
    );
}
