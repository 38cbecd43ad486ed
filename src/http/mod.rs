//! The HTTP side of a request: reading its body, building Laravel's input from it, deciding
//! what the client accepts, and rendering every answer into bytes.

pub(crate) mod body;
pub(crate) mod input;
pub(crate) mod negotiate;
mod page;

pub(crate) use page::{BadHost, previous_url};
pub(crate) mod reply;

use std::borrow::Cow;

use hyper::HeaderMap;
use hyper::header::{HeaderName, HeaderValue};

/// Maps with at most this many values are scanned by [`header`] rather than hashed.
const SCANNED_HEADERS: usize = 16;

/// `headers.get(name)`: the first value of `name`. A request's handful of headers is
/// scanned, comparing names (one byte for a standard name), which costs 30 to 50
/// instructions less than hashing the name; a request asks for seven or eight of them
/// (benches/README, eighth pass).
pub(crate) fn header<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h HeaderValue> {
    if headers.len() <= SCANNED_HEADERS {
        headers.iter().find_map(|(n, v)| (n == name).then_some(v))
    } else {
        headers.get(name)
    }
}

/// The value of `name` as PHP reads it: its bytes as sent and, when the request repeats the
/// header, its lines joined with `", "`, as nginx (since 1.23) and PHP's own server hand
/// them to PHP (`X-Requested-With: XMLHttpRequest` twice is not an AJAX request). One line,
/// the common case, is borrowed.
pub(crate) fn header_bytes<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<Cow<'h, [u8]>> {
    header(headers, name).map(|first| all_lines(headers, name, first))
}

/// [`header_bytes`] of a header whose first line, `first`, a caller has already found.
pub(crate) fn all_lines<'h>(
    headers: &'h HeaderMap,
    name: &HeaderName,
    first: &'h HeaderValue,
) -> Cow<'h, [u8]> {
    // No header repeated at all, the usual request: nothing to join.
    if headers.len() == headers.keys_len() {
        return Cow::Borrowed(first.as_bytes());
    }
    let mut joined = first.as_bytes().to_vec();
    for line in headers.get_all(name).iter().skip(1) {
        joined.extend_from_slice(b", ");
        joined.extend_from_slice(line.as_bytes());
    }
    Cow::Owned(joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header;

    #[test]
    fn a_header_is_its_first_value_scanned_or_hashed() {
        for filler in [0, 3, SCANNED_HEADERS, 40] {
            let mut headers = HeaderMap::new();
            for i in 0..filler {
                headers.insert(
                    HeaderName::from_bytes(format!("x-filler-{i}").as_bytes()).unwrap(),
                    HeaderValue::from_static("f"),
                );
            }
            headers.append(header::ACCEPT, HeaderValue::from_static("first"));
            headers.append("x-mock-session", HeaderValue::from_static("s"));
            headers.append(header::ACCEPT, HeaderValue::from_static("second"));
            let session = HeaderName::from_static("x-mock-session");
            assert_eq!(
                header(&headers, &header::ACCEPT),
                headers.get(header::ACCEPT)
            );
            assert_eq!(header(&headers, &header::ACCEPT).unwrap(), "first");
            assert_eq!(header(&headers, &session).unwrap(), "s");
            assert_eq!(header(&headers, &header::HOST), None);
        }
    }

    #[test]
    fn a_repeated_header_reaches_php_as_its_lines_joined() {
        let mut headers = HeaderMap::new();
        headers.append(header::ACCEPT, HeaderValue::from_static("application/json"));
        headers.append(
            "x-requested-with",
            HeaderValue::from_static("XMLHttpRequest"),
        );
        let xrw = HeaderName::from_static("x-requested-with");
        // Nothing repeated: the one line, borrowed.
        assert!(matches!(
            header_bytes(&headers, &xrw),
            Some(Cow::Borrowed(b"XMLHttpRequest"))
        ));
        headers.append(xrw.clone(), HeaderValue::from_static("x"));
        assert_eq!(
            header_bytes(&headers, &xrw).as_deref(),
            Some(&b"XMLHttpRequest, x"[..])
        );
        // Another header is still its one line while this one repeats.
        assert_eq!(
            header_bytes(&headers, &header::ACCEPT).as_deref(),
            Some(&b"application/json"[..])
        );
        assert_eq!(header_bytes(&headers, &header::REFERER), None);
    }
}
