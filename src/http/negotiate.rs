//! Content negotiation as Laravel does it: `$request->expectsJson()` decides between the
//! JSON answers and the redirect / HTML pages a browser gets.

use std::borrow::Cow;

use hyper::header::{self, HeaderMap};

use crate::php::{self, is_c_space, is_trim_char, stripos_contains};

/// Laravel's `$request->expectsJson()`: an AJAX request accepting anything, or a first
/// acceptable type naming JSON.
pub(crate) fn expects_json(headers: &HeaderMap) -> bool {
    const X_REQUESTED_WITH: header::HeaderName =
        header::HeaderName::from_static("x-requested-with");
    const X_PJAX: header::HeaderName = header::HeaderName::from_static("x-pjax");
    // Symfony reads the header's bytes: `application/json\xE9` still names JSON. Bytes that
    // are not UTF-8 become U+FFFD here, which changes no ASCII test below.
    let accept = match super::header(headers, &header::ACCEPT) {
        None => Cow::Borrowed(""),
        Some(first) => match (
            first.to_str(),
            super::all_lines(headers, &header::ACCEPT, first),
        ) {
            // One line of visible ASCII, the usual header: `to_str`'s check is the cheap one
            // (`from_utf8` or `from_utf8_lossy` cost a plain `application/json` about 150
            // instructions more, benches/instr.py).
            (Ok(text), Cow::Borrowed(_)) => Cow::Borrowed(text),
            (_, lines) => Cow::Owned(String::from_utf8_lossy(&lines).into_owned()),
        },
    };
    let first = first_acceptable(&accept);
    let first = first.as_deref();
    if first.is_some_and(|t| stripos_contains(t, "/json") || stripos_contains(t, "+json")) {
        return true;
    }
    let ajax =
        super::header_bytes(headers, &X_REQUESTED_WITH).is_some_and(|v| *v == *b"XMLHttpRequest");
    let pjax = headers.contains_key(X_PJAX);
    let accepts_any = matches!(first, None | Some("*/*" | "*"));
    ajax && !pjax && accepts_any
}

/// `$request->getAcceptableContentTypes()[0]`: of Symfony's `AcceptHeader::fromString`,
/// the media type with the highest `q`, the first one on ties; `None` for no type at all.
/// A type named twice keeps its later place and quality, as Symfony's items keyed by type
/// do; `q` (any case, the last one given) is read with PHP's `(float)`: `q=abc` is 0,
/// `q=0.5x` is 0.5, a bare `q` is 1.
fn first_acceptable(accept: &str) -> Option<Cow<'_, str>> {
    if !accept
        .bytes()
        .any(|b| matches!(b, b',' | b';' | b'=' | b'"' | b'\\'))
    {
        // One media type without parameters or quotes (`application/json`): itself.
        let text = accept.trim_matches(is_trim_char);
        return (!text.is_empty()).then_some(Cow::Borrowed(text));
    }
    // (type, quality) of every item, in order: its index is its place.
    let mut items = accept_items(accept);
    // Only a type's last item counts (it replaced the earlier ones). A few items are checked
    // against the later ones by a scan; a long header through a hash set, one lookup each,
    // so a header of thousands of distinct types stays linear.
    let mut seen = (items.len() > SCANNED_TYPES).then(std::collections::HashSet::new);
    let mut best: Option<(usize, f64)> = None;
    for (index, (media, quality)) in items.iter().enumerate().rev() {
        let replaced = match &mut seen {
            Some(seen) => !seen.insert(media.as_ref()),
            None => items[index + 1..].iter().any(|(later, _)| later == media),
        };
        if replaced {
            continue;
        }
        // Walking backwards, an equal quality moves the choice to the earlier index.
        if best.is_none_or(|(_, q)| *quality >= q) {
            best = Some((index, *quality));
        }
    }
    best.map(|(index, _)| items.swap_remove(index).0)
}

/// Headers with more items than this find a type's later items by a hash set.
const SCANNED_TYPES: usize = 16;

/// Symfony's `AcceptHeader::fromString`: every item's media type and quality, in order.
///
/// The header is split as `HeaderUtils::split($accept, ',;=')` splits it: its regex's tokens
/// (quoted strings and runs of other characters, not starting or ending in white space) and
/// separators (with the white space around them), grouped by `,`, then `;`, then the first
/// `=`. Items and parameters with no token are left out; text after a second `=` stays in
/// the value. An item's type is its first parameter's name; its quality is its last `q`
/// parameter (any case) read with PHP's `(float)`: `q=abc` is 0, `q=0.5x` is 0.5, and a bare
/// `q` is 1 (`setAttribute(string $name, string $value)`: a bare name's `true` is "1").
/// Borrowed from the header wherever no quote or backslash had to be taken out.
fn accept_items(accept: &str) -> Vec<(Cow<'_, str>, f64)> {
    enum Piece<'a> {
        Token(&'a str),
        Separator(u8, &'a str),
    }
    // PHP's `trim()` first, then PCRE's `\s` (C's white space) around tokens.
    let text = accept.trim_matches(is_trim_char);
    let b = text.as_bytes();
    let separator = |c: u8| matches!(c, b',' | b';' | b'=');
    // Sized once: at most a token on each side of every separator.
    let separators = memchr::memchr3_iter(b',', b';', b'=', b).count();
    let mut pieces = Vec::with_capacity(2 * separators + 1);
    // Without a quote or a backslash anywhere, no token has anything to unquote.
    let quoted = memchr::memchr2(b'"', b'\\', b).is_some();
    let token = |t| if quoted { unquote(t) } else { Cow::Borrowed(t) };
    let mut i = 0;
    while i < b.len() {
        if is_c_space(b[i]) || separator(b[i]) {
            let start = i;
            let mut j = i;
            while j < b.len() && is_c_space(b[j]) {
                j += 1;
            }
            if j < b.len() && separator(b[j]) {
                let sep = b[j];
                j += 1;
                while j < b.len() && is_c_space(b[j]) {
                    j += 1;
                }
                pieces.push(Piece::Separator(sep, &text[start..j]));
                i = j;
            } else {
                // White space that neither ends a token nor surrounds a separator.
                i += 1;
            }
            continue;
        }
        let start = i;
        let mut end = i;
        while i < b.len() && !separator(b[i]) {
            if b[i] == b'"' {
                // A quoted string: to its closing quote, a last backslash or the end.
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(b.len());
                end = i;
            } else {
                if !is_c_space(b[i]) {
                    end = i + 1;
                }
                i += 1;
            }
        }
        pieces.push(Piece::Token(&text[start..end]));
        i = end;
    }
    let mut items = Vec::with_capacity(memchr::memchr_iter(b',', b).count() + 1);
    for item in pieces.split(|p| matches!(p, Piece::Separator(b',', _))) {
        let mut media = None;
        let mut quality = 1.0;
        for param in item.split(|p| matches!(p, Piece::Separator(b';', _))) {
            if param.is_empty() {
                continue;
            }
            let (mut name, mut value) = (Cow::Borrowed(""), None);
            for piece in param {
                match (piece, &mut value) {
                    (Piece::Separator(_, _), None) => value = Some(Cow::Borrowed("")),
                    (Piece::Token(t), None) => append(&mut name, token(t)),
                    (Piece::Token(t), Some(v)) => append(v, token(t)),
                    // White space and separators: nothing to unquote.
                    (Piece::Separator(_, t), Some(v)) => append(v, Cow::Borrowed(t)),
                }
            }
            if media.is_none() {
                media = Some(name);
            } else if name.eq_ignore_ascii_case("q") {
                quality = value.map_or(1.0, |v| php::float_cast(&v));
            }
        }
        if let Some(media) = media {
            items.push((media, quality));
        }
    }
    items
}

/// `HeaderUtils::unquote`: every `"` dropped, `\x` read as `x`; borrowed when there is
/// neither.
fn unquote(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| matches!(b, b'"' | b'\\')) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {}
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Appends `text`: a name or value of one piece stays borrowed, only a second piece makes
/// it owned.
fn append<'a>(to: &mut Cow<'a, str>, text: Cow<'a, str>) {
    if to.is_empty() {
        *to = text;
    } else {
        to.to_mut().push_str(&text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn expects_json_like_laravel() {
        assert!(expects_json(&headers(&[("accept", "application/json")])));
        assert!(expects_json(&headers(&[(
            "accept",
            "application/vnd.api+json"
        )])));
        assert!(expects_json(&headers(&[(
            "accept",
            "text/html;q=0.5, application/json"
        )])));
        assert!(expects_json(&headers(&[(
            "x-requested-with",
            "XMLHttpRequest"
        )])));
        assert!(!expects_json(&headers(&[])));
        assert!(!expects_json(&headers(&[("accept", "*/*")])));
        assert!(!expects_json(&headers(&[(
            "accept",
            "text/html, application/json"
        )])));
    }

    #[test]
    fn an_accept_header_with_bytes_beyond_ascii_is_read_as_laravel_reads_it() {
        for (value, json) in [
            (&b"application/json\xE9"[..], true),
            ("application/json\u{e9}".as_bytes(), true),
            (b"text/html\xE9, application/json", false),
        ] {
            let mut h = HeaderMap::new();
            h.insert(
                header::ACCEPT,
                HeaderValue::from_bytes(value).expect("obs-text"),
            );
            assert_eq!(expects_json(&h), json, "{value:?}");
        }
    }

    #[test]
    fn the_first_acceptable_type_is_symfonys() {
        // (Accept, the type Symfony puts first), each checked against the reference app.
        for (accept, first) in [
            ("", None),
            (" application/json ", Some("application/json")),
            (
                "text/html;q=abc, application/json;q=0.9",
                Some("application/json"),
            ),
            (
                "text/html;Q=0.5, application/json",
                Some("application/json"),
            ),
            (
                "text/html; q = 0.5, application/json",
                Some("application/json"),
            ),
            (
                "text/html;q=\"0.5\", application/json",
                Some("application/json"),
            ),
            (
                "text/html;q=1.5e, application/json;q=1.4",
                Some("text/html"),
            ),
            (
                "text/html;q=inf, application/json",
                Some("application/json"),
            ),
            ("text/html;q, application/json;q=0.9", Some("text/html")),
            (
                "text/html;q=, application/json;q=0.9",
                Some("application/json"),
            ),
            (
                "text/html;q=0.5;q=1, application/json;q=0.9",
                Some("text/html"),
            ),
            // A type named again takes its later place and quality.
            (
                "text/html, application/json;q=0.9, text/html;q=0",
                Some("application/json"),
            ),
            (
                "application/json;q=0.5, text/html;q=0.5, application/json;q=0.5",
                Some("text/html"),
            ),
            // Quotes and backslashes are dropped; a quoted comma does not split.
            ("app\\lication/\"json\"", Some("application/json")),
            (
                "\"text/html, application/json\"",
                Some("text/html, application/json"),
            ),
            ("=application/json", Some("")),
            (";q=1, application/json;q=0.5", Some("q")),
            (", ,", None),
        ] {
            assert_eq!(first_acceptable(accept).as_deref(), first, "{accept:?}");
        }
    }
}
