use super::*;

fn entry(n: u16) -> Entry {
    Entry {
        method: Method::POST,
        exchange: Exchange::new(&Uri::from_static("/p"), &HeaderMap::new(), b"", None),
        body: RecordedBody::Json(Value::Null),
        status: Some(n),
        delay_ms: 0,
        rule: None,
        fault: None,
        routed: true,
        at_ms: 0,
    }
}

#[test]
fn redacts_passwords_at_any_depth() {
    let mut v = json!({"password": "a", "x": [{"new_password": "b", "Password_Confirmation": {"deep": 1}}], "login": "l"});
    redact(&mut v);
    assert_eq!(
        v,
        json!({"password": "***", "x": [{"new_password": "***", "Password_Confirmation": "***"}], "login": "l"})
    );
}

#[test]
fn a_boolean_under_a_secret_name_is_no_secret_and_stays() {
    let mut v = json!({"can_update_password": false, "password": 0, "x": {"reset_password": true, "password": [true]}});
    redact(&mut v);
    assert_eq!(
        v,
        json!({"can_update_password": false, "password": "***", "x": {"reset_password": true, "password": "***"}})
    );
}

#[test]
fn recorded_headers_copy_redact_and_round_trip() {
    let mut h = HeaderMap::new();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    h.insert("authorization", HeaderValue::from_static("Bearer secret"));
    h.insert(
        "proxy-authorization",
        HeaderValue::from_static("Basic c2VjcmV0"),
    );
    h.insert("x-auth-token", HeaderValue::from_static("t0k3n"));
    h.append("x-many", HeaderValue::from_static("a"));
    h.append("x-many", HeaderValue::from_static(""));
    let exchange = Exchange::new(&Uri::from_static("/p"), &h, b"", None);
    let rec = exchange.headers();
    let pairs: Vec<(&[u8], &[u8])> = rec.pairs().collect();
    assert_eq!(
        pairs,
        [
            (&b"content-type"[..], &b"application/json"[..]),
            (&b"authorization"[..], &b"***"[..]),
            (&b"proxy-authorization"[..], &b"***"[..]),
            (&b"x-auth-token"[..], &b"***"[..]),
            (&b"x-many"[..], &b"a"[..]),
            (&b"x-many"[..], &b""[..]),
        ]
    );
    let map = rec.to_map();
    assert_eq!(map.get_all("x-many").iter().count(), 2);
    assert_eq!(map.get("authorization").unwrap(), "***");
}

#[test]
fn capacity_bounds_and_counts_evictions() {
    let j = Journal::new(3, usize::MAX, Counter::default());
    for n in 200..205 {
        j.record(entry(n));
    }
    let (list, evicted) = j.list(&Filter::default());
    assert_eq!(evicted, 2);
    assert_eq!(
        list.iter()
            .map(|e| e["status"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [202, 203, 204]
    );
    let (list, _) = j.list(&Filter {
        limit: Some(1),
        ..Filter::default()
    });
    assert_eq!(list[0]["status"], 204);
    j.clear();
    assert_eq!(j.list(&Filter::default()), (vec![], 0));
}

#[test]
fn bytes_bound_the_journal_and_evictions_are_counted() {
    let one = entry(200).byte_size();
    let j = Journal::new(1_000, one * 3 + one / 2, Counter::default());
    for n in 200..210 {
        j.record(entry(n));
    }
    let (entries, bytes, evicted) = j.usage();
    assert_eq!((entries, evicted), (3, 7));
    assert!(bytes <= one * 3 + one / 2);
    // An entry bigger than the whole budget is not kept.
    let mut big = entry(299);
    big.body = RecordedBody::Json(Value::String("x".repeat(one * 4)));
    j.record(big);
    assert_eq!(j.usage().2, 8);
    assert_eq!(j.list(&Filter::default()).0.len(), 3);
}

#[test]
fn query_strings_keep_everything_but_secret_values() {
    let uri: Uri = "/p?login=a&password=hunter2&X%5Bapi_key%5D=k&token&b=2"
        .parse()
        .unwrap();
    assert_eq!(
        &*recorded_target(&uri),
        "/p?login=a&password=***&X%5Bapi_key%5D=***&token=***&b=2"
    );
    // Names PHP reads as `api_key`: its ` `, `.` and unmatched `[` are `_` to PHP.
    let uri: Uri = "/p?api%20key=k1&api.key=k2&api[key=k3&api+key=k4&a.b=5"
        .parse()
        .unwrap();
    assert_eq!(
        &*recorded_target(&uri),
        "/p?api%20key=***&api.key=***&api[key=***&api+key=***&a.b=5"
    );
}

#[test]
fn secret_names_are_found_in_any_case_and_position() {
    for name in [
        "password",
        "new_PASSWORD",
        "passwd",
        "X-Auth-Token",
        "client_secret",
        "billing_info[api_key]",
        "Api-Key",
        "myapikey",
    ] {
        assert!(is_secret_name(name), "{name}");
    }
    for name in [
        "login", "pass", "toke", "secre", "api", "apikee", "", "p", "тoken",
    ] {
        assert!(!is_secret_name(name), "{name}");
    }
    assert!(is_secret_header("Authorization"));
    assert!(is_secret_header("cookie"));
    assert!(is_secret_header("x-api-key"));
    // As Laravel reads the name.
    assert!(is_secret_header("x-api.key"));
    assert!(is_secret_header("x-api~key"));
    assert!(!is_secret_header("x-pass.word"));
    assert!(!is_secret_header("accept"));
}
