//! `multipart/form-data` as PHP reads it (main/rfc1867.c): each part's `name` goes through
//! the same field-name rules as a form, its text into `$_POST`; a part with a `filename` is
//! an upload (`$_FILES`), or nothing at all when the file name is empty (no file chosen).

use compact_str::CompactString;

use super::form::{MAX_INPUT_VARS, lossy, register};
use super::{Array, Upload, Value};

/// PHP's `max_file_uploads` default.
const MAX_FILE_UPLOADS: usize = 20;

/// A `multipart/form-data` body, read.
#[derive(Debug, Default)]
pub(crate) struct Multipart {
    /// The text fields, as `$_POST`.
    pub fields: Array,
    /// The uploads, as Laravel's `allFiles()` (`null` for a file input left empty).
    pub files: Array,
}

/// The `boundary` parameter of a Content-Type, unquoted.
pub(crate) fn boundary(content_type: &str) -> Option<&str> {
    let at = content_type.find("boundary")?;
    let rest = content_type[at + "boundary".len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let value = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next()?,
        None => rest.split([',', ';']).next()?.trim_end(),
    };
    (!value.is_empty()).then_some(value)
}

/// Reads a body with this boundary. Parts that cannot be read are skipped, as PHP skips them.
pub(crate) fn parse(body: &[u8], boundary: &str) -> Multipart {
    let mut out = Multipart::default();
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let Some(first) = find(body, delimiter, 0) else {
        return out;
    };
    let mut at = first + delimiter.len();
    let (mut vars, mut uploads) = (0, 0);
    loop {
        if body[at..].starts_with(b"--") {
            break;
        }
        // The rest of the delimiter line.
        let Some(eol) = find(body, b"\r\n", at) else {
            break;
        };
        at = eol + 2;
        let Some(head_end) = find(body, b"\r\n\r\n", at) else {
            break;
        };
        let head = &body[at..head_end];
        let content_start = head_end + 4;
        let mut next_delim = Vec::with_capacity(delimiter.len() + 2);
        next_delim.extend_from_slice(b"\r\n");
        next_delim.extend_from_slice(delimiter);
        let Some(content_end) = find(body, &next_delim, content_start) else {
            break;
        };
        let content = &body[content_start..content_end];
        at = content_end + next_delim.len();
        let Some((name, filename)) = disposition(head) else {
            continue;
        };
        match filename {
            None => {
                vars += 1;
                if vars <= MAX_INPUT_VARS {
                    register(&mut out.fields, name.as_bytes(), Value::Str(lossy(content)));
                }
            }
            // A file input left empty (no file chosen): PHP reports UPLOAD_ERR_NO_FILE and
            // Laravel's `allFiles()` has nothing under that name.
            Some(filename) if filename.is_empty() => {}
            Some(filename) => {
                uploads += 1;
                if uploads > MAX_FILE_UPLOADS {
                    continue;
                }
                let file = Value::File(Upload {
                    name: filename,
                    size: content.len() as u64,
                });
                register(&mut out.files, name.as_bytes(), file);
            }
        }
    }
    out
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > haystack.len() || needle.is_empty() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// `name` and `filename` of a part's `Content-Disposition: form-data` header.
fn disposition(head: &[u8]) -> Option<(String, Option<CompactString>)> {
    let head = String::from_utf8_lossy(head);
    let line = head.split("\r\n").find(|l| {
        l.split(':')
            .next()
            .is_some_and(|n| n.trim().eq_ignore_ascii_case("content-disposition"))
    })?;
    let (_, params) = line.split_once(':')?;
    let mut name = None;
    let mut filename = None;
    for param in split_params(params) {
        let Some((key, value)) = param.split_once('=') else {
            continue;
        };
        let value = unquote(value.trim());
        match key.trim().to_ascii_lowercase().as_str() {
            "name" => name = Some(value),
            "filename" => {
                // Browsers send the base name; PHP keeps only what follows the last slash.
                let base = value.rsplit(['/', '\\']).next().unwrap_or_default();
                filename = Some(CompactString::from(base));
            }
            _ => {}
        }
    }
    name.filter(|n| !n.is_empty()).map(|n| (n, filename))
}

/// Splits `; a=b; c="d;e"` on the semicolons outside quotes.
fn split_params(params: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in params.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                parts.push(&params[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&params[start..]);
    parts
}

fn unquote(value: &str) -> String {
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => value.to_owned(),
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
            B,
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
    fn the_boundary_is_read_quoted_or_not() {
        assert_eq!(boundary("multipart/form-data; boundary=abc"), Some("abc"));
        assert_eq!(
            boundary("multipart/form-data; boundary=\"a b\""),
            Some("a b")
        );
        assert_eq!(
            boundary("multipart/form-data; boundary=abc; charset=x"),
            Some("abc")
        );
        assert_eq!(boundary("multipart/form-data"), None);
    }
}
