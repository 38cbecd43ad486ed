//! `multipart/form-data` as PHP 8.2 reads it (main/rfc1867.c), ported step by step:
//! - the boundary is the text after the first `=` that follows `boundary` in the
//!   Content-Type, up to a `,` or `;` (or between quotes), spaces included;
//! - a part starts after a line that is exactly `--boundary` (lines end at LF, a CR before it
//!   is dropped; anything else, a preamble or `--boundary  `, is skipped);
//! - its headers run to an empty line (`Key: value`, a line starting with white space
//!   continues the previous one; the key is matched case-insensitively, as written);
//! - `Content-Disposition`'s `name` and `filename` parameters (keys case-insensitive, values
//!   quoted with `"` or `'`, or bare up to white space) say what the part is: a field, whose
//!   name goes through the same rules as a form's, an upload (`$_FILES`), nothing when the
//!   file name is empty (no file chosen), and the end of all reading when it has neither;
//! - its content runs to the next `\n--boundary`, less one CR before it; at the end of the
//!   body, a part without its closing line still counts, up to any tail that could begin
//!   that line.
//!
//! PHP reads the body through a 5 kB window, which can only matter for a header line or a
//! partial boundary longer than that; this reads the whole body at once.

use compact_str::CompactString;

use super::form::{MAX_INPUT_VARS, lossy_noting, register};
use super::{Array, Upload, Value, is_c_space};

/// PHP's `max_file_uploads` default.
const MAX_FILE_UPLOADS: usize = 20;

/// A `multipart/form-data` body, read.
#[derive(Debug, Default)]
pub(crate) struct Multipart {
    /// The text fields, as `$_POST`.
    pub fields: Array,
    /// The uploads, as Laravel's `allFiles()` (`null` for a file input left empty).
    pub files: Array,
    /// Whether a field's name or text was not UTF-8 (as [`super::form::Form::not_utf8`]).
    pub not_utf8: bool,
}

/// The `boundary` parameter of a Content-Type, as rfc1867.c finds it: after the first `=`
/// that follows `boundary` (looked for as written, then in any case), up to a `,` or `;`,
/// or between double quotes; not trimmed.
pub(crate) fn boundary(content_type: &[u8]) -> Option<&[u8]> {
    let at = memchr::memmem::find(content_type, b"boundary")
        .or_else(|| memchr::memmem::find(&content_type.to_ascii_lowercase(), b"boundary"))?;
    let rest = &content_type[at..];
    let rest = &rest[rest.iter().position(|&b| b == b'=')? + 1..];
    let value = match rest.strip_prefix(b"\"") {
        Some(quoted) => &quoted[..quoted.iter().position(|&b| b == b'"')?],
        None => rest
            .split(|&b| b == b',' || b == b';')
            .next()
            .unwrap_or_default(),
    };
    (!value.is_empty()).then_some(value)
}

/// Reads a body with this boundary, as PHP fills `$_POST` and `$_FILES`.
pub(crate) fn parse(body: &[u8], boundary: &[u8]) -> Multipart {
    let mut out = Multipart::default();
    let delimiter = [b"--", boundary].concat();
    let next = [b"\n--", boundary].concat();
    let mut reader = Reader { body, at: 0 };
    let (mut vars, mut uploads, mut anonymous) = (0, 0, 0u32);
    while reader.at < body.len() {
        if !reader.find_line(&delimiter) {
            break;
        }
        let headers = reader.headers();
        let Some(disposition) = header(&headers, b"content-disposition") else {
            continue;
        };
        let (name, filename) = parameters(disposition);
        match (name, filename) {
            (Some(name), None) => {
                let (content, _) = reader.content(&next);
                vars += 1;
                if vars <= MAX_INPUT_VARS {
                    out.not_utf8 |= std::str::from_utf8(&name).is_err();
                    let text = lossy_noting(content, &mut out.not_utf8);
                    register(&mut out.fields, &name, Value::Str(text));
                }
            }
            // "File Upload Mime headers garbled": PHP stops reading the body here.
            (None, None) => break,
            (name, Some(filename)) => {
                // A file without a name is filed under a number of its own (counted before
                // anything else is looked at).
                let name = name.unwrap_or_else(|| {
                    anonymous += 1;
                    (anonymous - 1).to_string().into_bytes()
                });
                // A file input left empty (no file chosen): PHP reports UPLOAD_ERR_NO_FILE
                // and Laravel's `allFiles()` has nothing under that name.
                if filename.is_empty() {
                    continue;
                }
                let (content, closed) = reader.content(&next);
                uploads += 1;
                // A file cut off before a closing `--boundary` is UPLOAD_ERR_PARTIAL in PHP
                // (Laravel would hand the rules an invalid upload): left out here.
                if uploads > MAX_FILE_UPLOADS || !closed {
                    continue;
                }
                let file = Value::File(Upload {
                    name: CompactString::from(String::from_utf8_lossy(basename(&filename))),
                    size: content.len() as u64,
                });
                out.not_utf8 |= std::str::from_utf8(&name).is_err();
                register(&mut out.files, &name, file);
            }
        }
    }
    out
}

/// The body and how far PHP has read it.
struct Reader<'a> {
    body: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// The next LF-terminated line, without the LF and a CR before it; `None` at the end
    /// (a last line without LF is never read as a line).
    fn line(&mut self) -> Option<&'a [u8]> {
        let rest = &self.body[self.at..];
        let lf = rest.iter().position(|&b| b == b'\n')?;
        self.at += lf + 1;
        let line = &rest[..lf];
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }

    /// Skips lines until one that is exactly `line` (`find_boundary`).
    fn find_line(&mut self, line: &[u8]) -> bool {
        while let Some(read) = self.line() {
            if read == line {
                return true;
            }
        }
        false
    }

    /// A part's headers, up to an empty line (`multipart_buffer_headers`). Lines are C
    /// strings there: a NUL ends one.
    fn headers(&mut self) -> Vec<(&'a [u8], Vec<u8>)> {
        let mut headers: Vec<(&'a [u8], Vec<u8>)> = Vec::new();
        while let Some(line) = self.line() {
            let line = line.split(|&b| b == 0).next().unwrap_or_default();
            let Some(&first) = line.first() else {
                break;
            };
            let colon = if is_c_space(first) {
                None
            } else {
                line.iter().position(|&b| b == b':')
            };
            match (colon, headers.last_mut()) {
                (Some(colon), _) => {
                    let value = &line[colon + 1..];
                    let start = value
                        .iter()
                        .position(|&b| !is_c_space(b))
                        .unwrap_or(value.len());
                    headers.push((&line[..colon], value[start..].to_vec()));
                }
                // Folded: the line goes on the previous header's value.
                (None, Some((_, value))) => value.extend_from_slice(line),
                (None, None) => {}
            }
        }
        headers
    }

    /// A part's content, up to the next `\n--boundary` (or, at the end of the body, up to a
    /// tail that could begin one), less one CR before it (`multipart_buffer_read_body`);
    /// and whether a whole `\n--boundary` closed it.
    fn content(&mut self, next: &[u8]) -> (&'a [u8], bool) {
        let rest = &self.body[self.at..];
        let Some(end) = boundary_start(rest, next) else {
            self.at = self.body.len();
            return (rest, false);
        };
        self.at += end;
        let content = &rest[..end];
        (
            content.strip_suffix(b"\r").unwrap_or(content),
            rest.len() - end >= next.len(),
        )
    }
}

/// Where `needle` starts in `haystack`, or where a tail of `haystack` that is a beginning of
/// `needle` starts (`php_ap_memstr` with `partial`).
fn boundary_start(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    // Linear: `needle` has its only LF first, so a candidate that matched k bytes has no
    // other candidate among them.
    memchr::memchr_iter(first, haystack).find(|&i| {
        let n = needle.len().min(haystack.len() - i);
        haystack[i..i + n] == needle[..n]
    })
}

/// The first header with this name, compared case-insensitively as written.
fn header<'h>(headers: &'h [(&[u8], Vec<u8>)], name: &[u8]) -> Option<&'h [u8]> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_slice())
}

/// `name` and `filename` of a Content-Disposition value; a later one of each wins.
fn parameters(mut value: &[u8]) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let (mut name, mut filename) = (None, None);
    value = trim_start(value);
    while !value.is_empty() {
        let pair = word(&mut value, b';');
        value = trim_start(value);
        if !pair.contains(&b'=') {
            continue;
        }
        let mut rest = pair;
        let key = word(&mut rest, b'=');
        if key.eq_ignore_ascii_case(b"name") {
            name = Some(word_conf(rest));
        } else if key.eq_ignore_ascii_case(b"filename") {
            filename = Some(word_conf(rest));
        }
    }
    (name, filename)
}

fn trim_start(text: &[u8]) -> &[u8] {
    let start = text
        .iter()
        .position(|&b| !is_c_space(b))
        .unwrap_or(text.len());
    &text[start..]
}

/// Text up to `stop` outside quotes (`php_ap_getword`); `line` moves past every `stop`
/// that follows.
fn word<'t>(line: &mut &'t [u8], stop: u8) -> &'t [u8] {
    let text = *line;
    let mut pos = 0;
    while pos < text.len() && text[pos] != stop {
        let quote = text[pos];
        pos += 1;
        if quote == b'"' || quote == b'\'' {
            while pos < text.len() && text[pos] != quote {
                pos += if text[pos] == b'\\' && text.get(pos + 1) == Some(&quote) {
                    2
                } else {
                    1
                };
            }
            pos = (pos + 1).min(text.len());
        }
    }
    let found = &text[..pos];
    while pos < text.len() && text[pos] == stop {
        pos += 1;
    }
    *line = &text[pos..];
    found
}

/// A parameter value (`php_ap_getword_conf`): quoted with `"` or `'` (a backslash escapes
/// the quote or a backslash), or bare up to white space (a backslash escapes a backslash).
fn word_conf(text: &[u8]) -> Vec<u8> {
    let text = trim_start(text);
    let (inner, quote) = match text.first() {
        Some(&q) if q == b'"' || q == b'\'' => {
            let mut end = 1;
            while end < text.len() && text[end] != q {
                end += if text[end] == b'\\' && text.get(end + 1) == Some(&q) {
                    2
                } else {
                    1
                };
            }
            (&text[1..end.min(text.len())], Some(q))
        }
        _ => {
            let end = text
                .iter()
                .position(|&b| is_c_space(b))
                .unwrap_or(text.len());
            (&text[..end], None)
        }
    };
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let escaped = inner[i] == b'\\'
            && inner
                .get(i + 1)
                .is_some_and(|&next| next == b'\\' || Some(next) == quote);
        if escaped {
            i += 1;
        }
        out.push(inner[i]);
        i += 1;
    }
    out
}

/// What follows the last `/` or `\` of a file name: browsers may send a whole path.
fn basename(filename: &[u8]) -> &[u8] {
    match filename.iter().rposition(|&b| b == b'/' || b == b'\\') {
        Some(at) => &filename[at + 1..],
        None => filename,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::php::to_json;

    const B: &str = "XyZ";

    fn body(parts: &[(&str, &str, Option<&str>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, value, filename) in parts {
            out.extend_from_slice(
                format!("--{B}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
            );
            if let Some(f) = filename {
                out.extend_from_slice(
                    format!("; filename=\"{f}\"\r\nContent-Type: text/plain").as_bytes(),
                );
            }
            out.extend_from_slice(format!("\r\n\r\n{value}\r\n").as_bytes());
        }
        out.extend_from_slice(format!("--{B}--\r\n").as_bytes());
        out
    }

    #[test]
    fn fields_nest_and_files_are_apart() {
        let parsed = parse(
            &body(&[
                ("login", "a@b.c", None),
                ("billing_properties[0][type]", "phone", None),
                ("status", "file-content", Some("f.txt")),
                ("avatar", "", Some("")),
            ]),
            B.as_bytes(),
        );
        assert_eq!(
            to_json(&Value::Array(parsed.fields)).to_string(),
            r#"{"login":"a@b.c","billing_properties":[{"type":"phone"}]}"#
        );
        assert_eq!(
            to_json(&Value::Array(parsed.files)).to_string(),
            r#"{"status":"<file f.txt, 12 bytes>"}"#
        );
    }

    #[test]
    fn names_and_texts_that_are_not_utf8_are_noted() {
        let field = |name: &[u8], text: &[u8]| {
            let mut out = format!("--{B}\r\nContent-Disposition: form-data; name=\"").into_bytes();
            out.extend_from_slice(name);
            out.extend_from_slice(b"\"\r\n\r\n");
            out.extend_from_slice(text);
            out.extend_from_slice(format!("\r\n--{B}--\r\n").as_bytes());
            out
        };
        assert!(!parse(&field(b"login", "\u{e4}".as_bytes()), B.as_bytes()).not_utf8);
        assert!(parse(&field(b"login", b"a\xff"), B.as_bytes()).not_utf8);
        assert!(parse(&field(b"a[\xff]", b"a"), B.as_bytes()).not_utf8);
        assert!(!parse(&body(&[("login", "a", None)]), B.as_bytes()).not_utf8);
    }

    /// Bodies PHP 8.2 read (`php -S` echoing `json_encode($_POST)` and the names of the
    /// files it accepted): what this parser must read the same way.
    #[test]
    fn bodies_read_as_php_reads_them() {
        #[rustfmt::skip]
        let cases: &[(&str, &str, &str, &str, &[&str])] = &[
        (
            "upper NAME",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; NAME=\"a\"\r\n\r\nx\r\n--B--\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "name spaced eq",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name =\"a\"\r\n\r\nx\r\n--B--\r\n",
            r#"[]"#,
            &[],
        ),
        (
            "boundary space after eq",
            "multipart/form-data; boundary= B",
            "-- B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n-- B--\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "boundary trailing space param",
            "multipart/form-data; boundary=B ; charset=x",
            "--B \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--B --\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "boundary trailing space param2",
            "multipart/form-data; boundary=B ; charset=x",
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--B--\r\n",
            r#"[]"#,
            &[],
        ),
        (
            "BOUNDARY upper",
            "multipart/form-data; BOUNDARY=B",
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--B--\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "nameless then named",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ny\r\n--B--\r\n",
            r#"[]"#,
            &[],
        ),
        (
            "no CD then named",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ny\r\n--B--\r\n",
            r#"{"a":"y"}"#,
            &[],
        ),
        (
            "file no name",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; filename=\"f.txt\"\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ny\r\n--B--\r\n",
            r#"{"a":"y"}"#,
            &["0"],
        ),
        (
            "folded header",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data;\r\n name=\"a\"\r\n\r\nx\r\n--B--\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "CD key with space before colon",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition : form-data; name=\"a\"\r\n\r\nx\r\n--B--\r\n",
            r#"[]"#,
            &[],
        ),
        (
            "unquoted name with space",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=a b\r\n\r\nx\r\n--B--\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "escaped quote",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"a\\\"b\"\r\n\r\nx\r\n--B--\r\n",
            r#"{"a\"b":"x"}"#,
            &[],
        ),
        (
            "value ends LF only",
            "multipart/form-data; boundary=B",
            "--B\nContent-Disposition: form-data; name=\"a\"\n\nx\n--B--\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "value with CR before boundary-ish",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--Bz\r\n--B--\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "value trailing CRLF at EOF",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx \r\n",
            r#"{"a":"x "}"#,
            &[],
        ),
        (
            "value trailing LF- at EOF",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n-",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "value trailing LF-B- at EOF",
            "multipart/form-data; boundary=BB",
            "--BB\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--B",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "dup names",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ny\r\n--B--\r\n",
            r#"{"a":"y"}"#,
            &[],
        ),
        (
            "empty name",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ny\r\n--B--\r\n",
            r#"{"a":"y"}"#,
            &[],
        ),
        (
            "NUL in header",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"a\0b\"\r\n\r\nx\r\n--B--\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "quoted boundary with semicolon",
            "multipart/form-data; boundary=\"B;C\"",
            "--B;C\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--B;C--\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "boundary comma",
            "multipart/form-data; boundary=B,C",
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--B--\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "eq later",
            "multipart/form-data; boundary; x=B",
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--B--\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "filename star only",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"a\"; filename*=x\r\n\r\nx\r\n--B--\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "single quote filename",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"a\"; filename='c:\\\\d\\\\e.txt'\r\n\r\nx\r\n--B--\r\n",
            r#"[]"#,
            &["a"],
        ),
        (
            "empty filename",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"a\"; filename=\"\"\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\ny\r\n--B--\r\n",
            r#"{"b":"y"}"#,
            &[],
        ),
        (
            "CD uppercase key",
            "multipart/form-data; boundary=B",
            "--B\r\nCONTENT-DISPOSITION: form-data; name=\"a\"\r\n\r\nx\r\n--B--\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "attachment type",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--B--\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "header without colon first",
            "multipart/form-data; boundary=B",
            "--B\r\ngarbage\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--B--\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "semicolons doubled",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data;; name=\"a\";;\r\n\r\nx\r\n--B--\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "name then dup name",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\nx\r\n--B--\r\n",
            r#"{"b":"x"}"#,
            &[],
        ),
        (
            "tab before name",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data;\tname=\"a\"\r\n\r\nx\r\n--B--\r\n",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "value at EOF without CRLF",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n p ",
            r#"{"a":" p "}"#,
            &[],
        ),
        (
            "preamble and epilogue",
            "multipart/form-data; boundary=B",
            "preamble\r\n--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--B--\r\nepilogue",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "closing line without CRLF",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--B--",
            r#"{"a":"x"}"#,
            &[],
        ),
        (
            "boundary line with trailing spaces is not one",
            "multipart/form-data; boundary=B",
            "--B  \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--B\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\ny\r\n--B--\r\n",
            r#"{"b":"y"}"#,
            &[],
        ),
        (
            "nested names and append",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"p[0][type]\"\r\n\r\nphone\r\n--B\r\nContent-Disposition: form-data; name=\"l[]\"\r\n\r\n1\r\n--B\r\nContent-Disposition: form-data; name=\"l[]\"\r\n\r\n2\r\n--B--\r\n",
            r#"{"p":[{"type":"phone"}],"l":["1","2"]}"#,
            &[],
        ),
        (
            "CR inside a value stays",
            "multipart/form-data; boundary=B",
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\ry\r\n\r\n--B--\r\n",
            r#"{"a":"x\ry\r\n"}"#,
            &[],
        ),
        ];
        for (what, content_type, body, post, files) in cases {
            let parsed = boundary(content_type.as_bytes())
                .map(|b| parse(body.as_bytes(), b))
                .unwrap_or_default();
            assert_eq!(
                to_json(&Value::Array(parsed.fields)).to_string(),
                *post,
                "{what}: the fields"
            );
            let names: Vec<String> = parsed
                .files
                .iter()
                .map(|(k, _)| k.as_text().to_string())
                .collect();
            assert_eq!(names, *files, "{what}: the files");
        }
    }

    #[test]
    fn the_boundary_is_read_quoted_or_not() {
        let cases: [(&[u8], Option<&[u8]>); 6] = [
            (b"multipart/form-data; boundary=abc", Some(b"abc")),
            (b"multipart/form-data; boundary=\"a b\"", Some(b"a b")),
            (
                b"multipart/form-data; boundary=abc; charset=x",
                Some(b"abc"),
            ),
            (b"multipart/form-data; BOUNDARY=Up", Some(b"Up")),
            // PHP reads the header's bytes: one that is not UTF-8 is part of the boundary.
            (b"multipart/form-data; boundary=x\xe9y", Some(b"x\xe9y")),
            (b"multipart/form-data", None),
        ];
        for (content_type, expected) in cases {
            assert_eq!(boundary(content_type), expected, "{content_type:?}");
        }
    }
}
