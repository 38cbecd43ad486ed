use super::*;

#[test]
fn strings_are_encoded_as_json_encode_does() {
    let enc = |s: &str, slashes| {
        let mut out = Vec::new();
        write_string(&mut out, s, slashes);
        String::from_utf8(out).unwrap()
    };
    assert_eq!(enc("é/x@b.c", true), r#""\u00e9\/x@b.c""#);
    assert_eq!(enc("日本", true), r#""\u65e5\u672c""#);
    assert_eq!(enc("😀", true), r#""\ud83d\ude00""#);
    assert_eq!(
        enc("a\"b\\c\n\u{1}\u{7f}", true),
        "\"a\\\"b\\\\c\\n\\u0001\u{7f}\""
    );
    assert_eq!(enc("api/v1", false), r#""api/v1""#);
}

fn keys(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|(k, _)| k.as_text().into_string()).collect())
        .unwrap_or_default()
}

#[test]
fn objects_become_php_arrays() {
    let v =
        decode(br#"{"0":"a","01":"b","+1":"c","-1":"d","1.0":"e","":"f","a":1,"a":2}"#).unwrap();
    assert_eq!(keys(&v), ["0", "01", "+1", "-1", "1.0", "", "a"]);
    let a = v.as_array().unwrap();
    assert_eq!(a.get(&Key::Int(0)), Some(&Value::str("a")));
    assert_eq!(a.get_str("a"), Some(&Value::Int(2)));
}

#[test]
fn numbers_follow_php() {
    let n = |s: &str| decode(s.as_bytes()).unwrap();
    assert_eq!(n("-0"), Value::Int(0));
    assert_eq!(n("9223372036854775807"), Value::Int(i64::MAX));
    assert_eq!(n("9223372036854775808"), Value::Float(9.223372036854776e18));
    assert_eq!(n("1e400"), Value::Float(f64::INFINITY));
    assert_eq!(n("-1e400"), Value::Float(f64::NEG_INFINITY));
    assert_eq!(n("1E2"), Value::Float(100.0));
    assert!(matches!(n("-0.0"), Value::Float(f) if f == 0.0 && f.is_sign_negative()));
    for bad in ["01", "1.", ".5", "-", "1e", "+1", "NaN"] {
        assert!(decode(bad.as_bytes()).is_err(), "{bad}");
    }
}

#[test]
fn nesting_stops_at_511_levels() {
    let nested = |d: usize| format!("{}{}", "[".repeat(d), "]".repeat(d));
    assert!(decode(nested(511).as_bytes()).is_ok());
    assert!(decode(nested(512).as_bytes()).is_err());
    assert!(decode(format!("{{\"a\":{}}}", nested(510)).as_bytes()).is_ok());
    assert!(decode(format!("{{\"a\":{}}}", nested(511)).as_bytes()).is_err());
}

#[test]
fn strings_are_checked_as_php_checks_them() {
    assert_eq!(decode(br#""a\u0000b""#).unwrap(), Value::str("a\0b"));
    assert_eq!(decode(br#""\ud83d\ude00""#).unwrap(), Value::str("😀"));
    for bad in [
        &br#""\ud800b""#[..],
        b"\"a\x01\"",
        b"\"\xff\"",
        br#""\x""#,
        b"\xEF\xBB\xBF{}",
    ] {
        assert!(decode(bad).is_err(), "{}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn errors_say_where_in_serde_json_wording() {
    let e = decode(b"{\n  \"login\": \"a\",\n  oops\n}").unwrap_err();
    assert_eq!(e.to_string(), "key must be a string at line 3 column 3");
    let e = decode(b"{").unwrap_err();
    assert_eq!(
        e.to_string(),
        "EOF while parsing an object at line 1 column 1"
    );
    assert_eq!(
        decode(b"{} x").unwrap_err().to_string(),
        "trailing characters at line 1 column 4"
    );
}

#[test]
fn compact_json_is_the_document_to_json_builds() {
    for text in [
        r#"{"billing_id":"123","billing_extra":[],"n":5,"f":1.5,"t":true,"z":null}"#,
        r#"{"név":"Ünïcødé \u263a 😀","slash":"a/b","quote":"\"\\\n"}"#,
        r#"[1,[2,{"3":[]}],{"0":"a","1":"b"},{"1":"x"}]"#,
        r#"{"deep":{"deeper":{"deepest":[{"k":-0.25e3}]}}}"#,
        r#"1e400"#,
    ] {
        let value = decode(text.as_bytes()).expect("valid JSON");
        let mut out = Vec::new();
        write_value(&mut out, &value);
        let written: serde_json::Value = serde_json::from_slice(&out).expect("valid output");
        assert_eq!(written, crate::php::to_json(&value), "{text}");
    }
    // Integer keys (PHP's for `"-5"` and `"7"`) are written back as the same text.
    let value = decode(br#"{"-5":"a","7":{"08":"b","0":[]}}"#).unwrap();
    let mut out = Vec::new();
    write_value(&mut out, &value);
    assert_eq!(out, br#"{"-5":"a","7":{"08":"b","0":[]}}"#);
}

#[test]
fn duplicate_keys_keep_their_place_in_small_and_large_objects_alike() {
    for n in [3usize, 16, 17, 40] {
        // Keys k0..k{n-1}, then k1 again, then a nested object in between.
        let mut body = String::from("{");
        for i in 0..n {
            body.push_str(&format!("\"k{i}\":{i},"));
        }
        body.push_str("\"n\":{\"x\":[1,{\"y\":2}],\"x\":3},\"k1\":\"again\"}");
        let v = decode(body.as_bytes()).unwrap();
        let mut expected: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
        expected.push("n".into());
        assert_eq!(keys(&v), expected, "{n} keys");
        let a = v.as_array().unwrap();
        assert_eq!(a.get_str("k1"), Some(&Value::str("again")), "{n} keys");
        assert_eq!(
            a.get_str("n").and_then(|n| n.as_array()).map(|n| n.len()),
            Some(1)
        );
        assert_eq!(
            a.get_str(&format!("k{}", n - 1)),
            Some(&Value::Int(n as i64 - 1))
        );
    }
    // A list's next free key follows its last element, as `$list[] = ...` would.
    let mut list = decode(b"[1,2,3]").unwrap();
    if let Value::Array(items) = &mut list {
        assert_eq!(items.push(Value::Null), Key::Int(3));
    }
}

/// The eight-byte scan of each kind stops where a byte-by-byte scan does.
fn assert_scans_agree(bytes: &[u8]) {
    fn agree<S: Stops>(bytes: &[u8], kind: &str) {
        let naive = bytes
            .iter()
            .position(|&b| S::byte(b))
            .unwrap_or(bytes.len());
        assert_eq!(plain_len::<S>(bytes), naive, "{kind} {bytes:?}");
    }
    agree::<Reading>(bytes, "Reading");
    agree::<Writing>(bytes, "Writing");
    agree::<WritingSlashes>(bytes, "WritingSlashes");
    agree::<Quoting>(bytes, "Quoting");
}

#[test]
fn the_eight_byte_scan_stops_exactly_where_the_byte_scan_does() {
    // Every stop byte at every offset of words and tails, next to plain bytes just above
    // and below it (0x1F/0x20, '!'/'"'/'#', '['/'\\'/']', '.'/'/'/'0', '~'/0x7F/0x80).
    // DEL is plain to all but `Quoting`.
    let plain = [0x20u8, b'!', b'#', b'[', b']', b'.', b'0', b'~', 0x7F, b'a'];
    let stops = [0x00u8, 0x1F, b'"', b'\\', b'/', 0x7F, 0x80, 0xFF];
    for len in 0..20 {
        for at in 0..len {
            for &filler in &plain {
                for &stop in &stops {
                    let mut bytes = vec![filler; len];
                    bytes[at] = stop;
                    assert_scans_agree(&bytes);
                }
            }
        }
        assert_eq!(plain_len::<WritingSlashes>(&vec![b'a'; len]), len);
    }
}

#[test]
fn the_eight_byte_scan_finds_the_first_of_several_stops() {
    // The word scan takes the lowest mark of a word as its first stop; a borrow can mark
    // bytes after a stop. Buffers with several stops, drawn (xorshift, fixed seed) from
    // stops, their neighbours and plain letters, must stop where the byte scan does.
    let alphabet = [
        0x00u8, 0x01, 0x1F, 0x20, 0x21, b'"', b'#', b'\\', b'/', b'.', b'0', 0x7F, 0x80, 0xC3,
        0xFF, b'a', b'a', b'a', b'a', b'a',
    ];
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..50_000 {
        let len = (next() % 40) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        assert_scans_agree(&bytes);
    }
}
