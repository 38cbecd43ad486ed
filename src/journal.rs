//! The request journal of one session: what reached the vendor routes, with every secret
//! redacted (passwords in bodies and query strings, credentials in headers), bounded in
//! entries and in bytes, with a count of what was evicted.

use std::collections::VecDeque;
use std::sync::Arc;

use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Uri};
use parking_lot::Mutex;
use prometheus_client::metrics::counter::Counter;
use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

use crate::clock::format_millis;
use crate::http::input;
use crate::php;
use crate::scenario::{Matcher, RequestView, trim_path};

/// Bodies larger than this are recorded as a note, not kept.
pub(crate) const MAX_RECORDED_BODY: usize = 16 * 1024;

/// What the journal keeps of a request body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RecordedBody {
    /// The request gave input (from its body, its query string or both). The body's bytes
    /// are kept as sent, in the entry's [`Exchange`], and read again ([`input::read`], the
    /// function that read them for the answer) and redacted ([`redact_input`]) only when the
    /// entry is viewed. Most entries are never looked at: keeping the input as a tree of
    /// PHP arrays instead cost a redaction walk on every request, and at eviction, 10,000
    /// requests later, the drop of a dozen allocations gone cold (benches/README.md,
    /// fifteenth pass).
    Input,
    /// As [`RecordedBody::Input`], shown as the route validated it: after Laravel's
    /// middleware (`TrimStrings`, `ConvertEmptyStringsToNull`).
    Normalised,
    /// Anything else: a note about a body not kept, or `null` for no body.
    Json(Value),
}

/// Replaces every value whose key names a secret ([`is_secret_name`]), at any depth of a
/// request's input, with `"***"`.
pub(crate) fn redact_input(input: &mut php::Array) {
    for (key, value) in input.iter_mut() {
        let secret = match key {
            php::Key::Str(name) => is_secret_name(name),
            php::Key::Int(_) => false,
        };
        if secret {
            *value = php::Value::str("***");
        } else if let php::Value::Array(inner) = value {
            redact_input(inner);
        }
    }
}

/// The bytes an entry keeps of its exchange, in one allocation: the request target (secret
/// query values redacted), the headers (credentials redacted), the body as sent (kept only
/// when it gave input, see [`RecordedBody::Input`]; it may hold a password until the entry
/// is evicted, and no view shows it unredacted) and the JSON answer. One block per entry
/// rather than one per part: an entry is evicted long after it was written, when its memory
/// has gone cold, and freeing one block costs one cache miss where a dozen cost a dozen.
/// Copies throughout: hyper's `Uri`, header values and body chunks share the connection's
/// read buffer, which an entry must not keep alive.
#[derive(Debug)]
pub(crate) struct Exchange {
    block: Box<[u8]>,
    target_end: usize,
    headers_end: usize,
    body_end: usize,
    /// Whether the rest of the block is an answer (an empty one included).
    answered: bool,
}

impl Exchange {
    /// Copies what the journal keeps of a request and its JSON answer.
    pub(crate) fn new(uri: &Uri, headers: &HeaderMap, body: &[u8], answer: Option<&[u8]>) -> Self {
        let mut target = String::with_capacity(
            uri.path().len()
                + uri.query().map_or(0, |q| q.len() + 1)
                + headers_size(headers)
                + body.len()
                + answer.map_or(0, <[u8]>::len),
        );
        push_target(uri, &mut target);
        let target_end = target.len();
        // The rest are bytes: the target's text goes on as the start of the block.
        let mut block = target.into_bytes();
        push_headers(headers, &mut block);
        let headers_end = block.len();
        block.extend_from_slice(body);
        let body_end = block.len();
        block.extend_from_slice(answer.unwrap_or_default());
        Exchange {
            block: block.into_boxed_slice(),
            target_end,
            headers_end,
            body_end,
            answered: answer.is_some(),
        }
    }

    /// The request target: path and query, secret query values redacted.
    pub(crate) fn target(&self) -> &str {
        // Written as a `String` (Exchange::new): always UTF-8.
        std::str::from_utf8(&self.block[..self.target_end]).unwrap_or_default()
    }

    /// The recorded headers.
    pub(crate) fn headers(&self) -> RecordedHeaders<'_> {
        RecordedHeaders(&self.block[self.target_end..self.headers_end])
    }

    /// The body as sent (empty when it was not kept).
    pub(crate) fn body(&self) -> &[u8] {
        &self.block[self.headers_end..self.body_end]
    }

    /// The JSON answer, if one was kept.
    pub(crate) fn answer(&self) -> Option<&[u8]> {
        self.answered.then(|| &self.block[self.body_end..])
    }

    /// How many bytes the block holds.
    fn len(&self) -> usize {
        self.block.len()
    }
}

/// One recorded request.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Method.
    pub method: Method,
    /// The target, headers, body and answer's bytes.
    pub exchange: Exchange,
    /// What the body gave; a note for bodies not kept.
    pub body: RecordedBody,
    /// The status answered; `None` when a fault answered nothing.
    pub status: Option<u16>,
    /// The delay a rule added before answering, in milliseconds.
    pub delay_ms: u64,
    /// The rule that answered (its name or index); `None`: the default behaviour.
    pub rule: Option<Arc<str>>,
    /// The fault injected, if any.
    pub fault: Option<&'static str>,
    /// Whether a route served it (false: 404 or 405 with no rule answering).
    pub routed: bool,
    /// Arrival, wall-clock milliseconds since the Unix epoch.
    pub at_ms: u64,
}

impl Entry {
    /// The admin view of this entry.
    pub(crate) fn to_json(&self) -> Value {
        let mut headers = Map::new();
        for (name, value) in self.exchange.headers().pairs() {
            let name = String::from_utf8_lossy(name);
            let text = String::from_utf8_lossy(value).into_owned();
            match headers.get_mut(name.as_ref()) {
                Some(Value::String(existing)) => {
                    existing.push_str(", ");
                    existing.push_str(&text);
                }
                _ => {
                    headers.insert(name.into_owned(), Value::String(text));
                }
            }
        }
        // Answers are redacted too (a rule's body is the scenario author's text), except a
        // 422's `errors`, whose keys are field names and whose values are messages.
        let response = self.exchange.answer().map(|bytes| {
            let mut value: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
            let errors = value.as_object_mut().and_then(|m| m.remove("errors"));
            redact(&mut value);
            if let (Some(errors), Some(map)) = (errors, value.as_object_mut()) {
                map.insert("errors".into(), errors);
            }
            value
        });
        json!({
            "method": self.method.as_str(),
            "path": self.path(),
            "query": self.query(),
            "headers": headers,
            "body": self.body_json(),
            "status": self.status,
            "response": response,
            "rule": self.rule.as_deref().unwrap_or("default"),
            "fault": self.fault,
            "delay_ms": self.delay_ms,
            "at": format_millis(self.at_ms),
        })
    }

    /// The body as the admin API shows it: the input the request gave, every secret
    /// redacted, or the note kept instead.
    pub(crate) fn body_json(&self) -> Value {
        match &self.body {
            RecordedBody::Input | RecordedBody::Normalised => {
                let headers = self.exchange.headers().to_map();
                let request =
                    input::read(&self.method, &headers, self.query(), self.exchange.body());
                let mut input = match self.body {
                    RecordedBody::Normalised => request.input,
                    _ => request.into_raw(),
                };
                redact_input(&mut input);
                php::array_to_json(&input)
            }
            RecordedBody::Json(value) => value.clone(),
        }
    }

    /// About how many bytes this entry keeps alive.
    pub(crate) fn byte_size(&self) -> usize {
        std::mem::size_of::<Entry>()
            + 64
            + self.exchange.len()
            + match &self.body {
                RecordedBody::Input | RecordedBody::Normalised => 0,
                RecordedBody::Json(value) => crate::store::json_bytes(value),
            }
    }

    /// The path, without the query string.
    pub(crate) fn path(&self) -> &str {
        let target = self.exchange.target();
        target.split_once('?').map_or(target, |(p, _)| p)
    }

    /// The query string, if any.
    pub(crate) fn query(&self) -> Option<&str> {
        self.exchange.target().split_once('?').map(|(_, q)| q)
    }

    fn matches(&self, matcher: &Matcher) -> bool {
        let headers = self.exchange.headers().to_map();
        let body = self.body_json();
        matcher.matches(&RequestView {
            method: &self.method,
            path: self.path(),
            headers: &headers,
            body: Some(&body),
        })
    }
}

/// Whether a field, query parameter or header name holds a secret: it names a password,
/// a token, a secret or an API key, in any case and any position (`new_password`,
/// `X-Auth-Token`, `billing_info[api_key]`).
pub(crate) fn is_secret_name(name: &str) -> bool {
    // One pass over the bytes without allocating: this runs for every header and body key
    // of every request, and the `to_lowercase` + seven `contains` it replaced cost about
    // 25,000 instructions per create request (benches/instr.py).
    const WORDS: [&[u8]; 7] = [
        b"password",
        b"passwd",
        b"token",
        b"secret",
        b"api_key",
        b"api-key",
        b"apikey",
    ];
    const SHORTEST: usize = 5;
    let bytes = name.as_bytes();
    if bytes.len() < SHORTEST {
        return false;
    }
    // The vendor API's own field names, in nearly every body: none names a secret.
    if matches!(
        name,
        "login"
            | "status"
            | "value"
            | "billing_info"
            | "billing_id"
            | "billing_extra"
            | "billing_properties"
            | "licenses"
            | "cameras"
            | "intercoms"
    ) {
        return false;
    }
    (0..=bytes.len() - SHORTEST).any(|i| {
        let first = bytes[i].to_ascii_lowercase();
        matches!(first, b'p' | b't' | b's' | b'a')
            && WORDS.iter().any(|word| {
                word[0] == first
                    && bytes
                        .get(i..i + word.len())
                        .is_some_and(|window| window.eq_ignore_ascii_case(word))
            })
    })
}

/// Whether a header's value is a credential: `Authorization`, `Proxy-Authorization`,
/// `Cookie`, or a name [`is_secret_name`] flags, as sent or as Laravel reads it (PHP turns
/// every character but letters and digits into `_` and Symfony that into `-`: `X-Api.Key`
/// is `x-api-key` to Laravel).
pub(crate) fn is_secret_header(name: &str) -> bool {
    let as_laravel = || -> String {
        name.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect()
    };
    [
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
        || is_secret_name(name)
        || (name.contains(|c: char| !c.is_ascii_alphanumeric() && c != '-')
            && is_secret_name(&as_laravel()))
}

/// Replaces every value whose key names a secret ([`is_secret_name`]), at any depth, with
/// `"***"`; a `true` or `false` stays, as no secret fits in one bit: the vendor's own
/// `"can_update_password":false` in every user answer then reads as it was sent.
pub(crate) fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if is_secret_name(key) && !v.is_boolean() {
                    *v = Value::String("***".into());
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// Request headers as the journal keeps them: `name NUL value NUL ...`, credentials
/// redacted ([`push_headers`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecordedHeaders<'a>(&'a [u8]);

/// The headers nearly every request has: they never hold a credential, so no name check.
const PLAIN: [HeaderName; 7] = [
    header::HOST,
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::ACCEPT,
    header::USER_AGENT,
    header::ACCEPT_ENCODING,
    header::CONNECTION,
];

/// An upper bound of what [`push_headers`] writes (a redacted value is 3 bytes).
fn headers_size(headers: &HeaderMap) -> usize {
    headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len().max(3) + 2)
        .sum()
}

/// Appends `headers` as [`RecordedHeaders`] keeps them, credentials ([`is_secret_header`])
/// replaced with `***`.
fn push_headers(headers: &HeaderMap, out: &mut Vec<u8>) {
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.push(0);
        out.extend_from_slice(
            if !PLAIN.contains(name) && is_secret_header(name.as_str()) {
                b"***"
            } else {
                value.as_bytes()
            },
        );
        out.push(0);
    }
}

impl<'a> RecordedHeaders<'a> {
    /// The recorded `(name, value)` pairs, in request order.
    pub(crate) fn pairs(self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
        let mut parts = self.0.split(|b| *b == 0);
        std::iter::from_fn(move || {
            let name = parts.next().filter(|n| !n.is_empty())?;
            Some((name, parts.next().unwrap_or_default()))
        })
    }

    /// As a `HeaderMap`, for matching and for reading the body again (admin views only, so
    /// rebuilt on demand).
    pub(crate) fn to_map(self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in self.pairs() {
            if let (Ok(name), Ok(value)) =
                (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
            {
                map.append(name, value);
            }
        }
        map
    }
}

/// The request target as recorded: an owned copy of path and query, the value of every
/// query parameter whose name holds a secret replaced by `***`.
pub(crate) fn recorded_target(uri: &Uri) -> Box<str> {
    let mut target =
        String::with_capacity(uri.path().len() + uri.query().map_or(0, |q| q.len() + 1));
    push_target(uri, &mut target);
    target.into_boxed_str()
}

/// Appends [`recorded_target`]'s text.
fn push_target(uri: &Uri, out: &mut String) {
    out.push_str(uri.path());
    let Some(query) = uri.query() else {
        return;
    };
    out.push('?');
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        let name = pair.split_once('=').map_or(pair, |(name, _)| name);
        let decoded: String = form_urlencoded::parse(name.as_bytes())
            .next()
            .map(|(k, _)| k.into_owned())
            .unwrap_or_default();
        // PHP reads a name's ` `, `.` and unmatched `[` as `_` (`api.key` is `api_key`):
        // checked as PHP reads it too, erring on the side of hiding (`api[key]` is hidden).
        let as_php = decoded
            .contains([' ', '.', '['])
            .then(|| decoded.replace([' ', '.', '['], "_"));
        if is_secret_name(&decoded)
            || is_secret_name(name)
            || as_php.as_deref().is_some_and(is_secret_name)
        {
            out.push_str(name);
            out.push_str("=***");
        } else {
            out.push_str(pair);
        }
    }
}

/// Which entries `GET /__admin/requests` returns (and the live stream sends).
#[derive(Clone, Debug, Default)]
pub(crate) struct Filter {
    /// Only this method.
    pub method: Option<Method>,
    /// Only this path (trailing slash ignored).
    pub path: Option<String>,
    /// Only this status.
    pub status: Option<u16>,
    /// Only entries this rule answered (`default`: the default behaviour).
    pub rule: Option<String>,
    /// Only the most recent N.
    pub limit: Option<usize>,
}

impl Filter {
    /// Whether an entry passes (all but `limit`).
    pub(crate) fn matches(&self, entry: &Entry) -> bool {
        self.method.as_ref().is_none_or(|m| *m == entry.method)
            && self
                .path
                .as_deref()
                .is_none_or(|p| trim_path(entry.path()) == trim_path(p))
            && self.status.is_none_or(|s| entry.status == Some(s))
            && self
                .rule
                .as_deref()
                .is_none_or(|r| entry.rule.as_deref().unwrap_or("default") == r)
    }
}

/// A recorded entry, as the live request stream carries it.
#[derive(Clone, Debug)]
pub(crate) struct StreamEvent {
    /// The session it was recorded in.
    pub session: Arc<str>,
    /// The entry.
    pub entry: Arc<Entry>,
}

/// Where a journal announces its entries: the server's request stream, and the session's
/// name.
#[derive(Clone)]
pub(crate) struct Feed {
    pub sender: broadcast::Sender<StreamEvent>,
    pub session: Arc<str>,
}

/// A journal bounded in entries and in bytes.
pub(crate) struct Journal {
    inner: Mutex<Inner>,
    capacity: usize,
    max_bytes: usize,
    /// The server's eviction counter (metrics).
    evictions: Counter,
    /// The live stream; sending never waits (slow subscribers miss entries instead).
    feed: Option<Feed>,
}

#[derive(Default)]
struct Inner {
    entries: VecDeque<(Arc<Entry>, usize)>,
    bytes: usize,
    evicted: u64,
}

impl Journal {
    /// A journal keeping at most `capacity` entries and `max_bytes` bytes of them (0 keeps
    /// none, counting all as evicted).
    pub(crate) fn new(capacity: usize, max_bytes: usize, evictions: Counter) -> Self {
        Journal {
            inner: Mutex::new(Inner::default()),
            capacity,
            max_bytes,
            evictions,
            feed: None,
        }
    }

    /// This journal, announcing its entries on `feed`.
    pub(crate) fn with_feed(mut self, feed: Feed) -> Self {
        self.feed = Some(feed);
        self
    }

    /// Appends an entry, evicting the oldest until it fits both bounds. An entry larger
    /// than the whole byte budget is not kept (and counts as evicted).
    pub(crate) fn record(&self, entry: Entry) {
        let size = entry.byte_size();
        let entry = Arc::new(entry);
        if let Some(feed) = &self.feed
            && feed.sender.receiver_count() > 0
        {
            let _ = feed.sender.send(StreamEvent {
                session: Arc::clone(&feed.session),
                entry: Arc::clone(&entry),
            });
        }
        // Evicted entries are dropped after the lock is released.
        let mut dropped = Vec::new();
        {
            let mut inner = self.inner.lock();
            if self.capacity == 0 || size > self.max_bytes {
                inner.evicted += 1;
                drop(inner);
                self.evictions.inc();
                return;
            }
            while inner.entries.len() >= self.capacity || inner.bytes + size > self.max_bytes {
                let Some((old, old_size)) = inner.entries.pop_front() else {
                    break;
                };
                inner.bytes -= old_size;
                inner.evicted += 1;
                dropped.push(old);
            }
            inner.bytes += size;
            inner.entries.push_back((entry, size));
        }
        if !dropped.is_empty() {
            self.evictions.inc_by(dropped.len() as u64);
        }
        drop(dropped);
    }

    /// Entries and bytes kept now, and evictions so far.
    pub(crate) fn usage(&self) -> (usize, usize, u64) {
        let inner = self.inner.lock();
        (inner.entries.len(), inner.bytes, inner.evicted)
    }

    /// Forgets every entry and the eviction count.
    pub(crate) fn clear(&self) {
        *self.inner.lock() = Inner::default();
    }

    fn snapshot(&self) -> (Vec<Arc<Entry>>, u64) {
        let inner = self.inner.lock();
        (
            inner.entries.iter().map(|(e, _)| Arc::clone(e)).collect(),
            inner.evicted,
        )
    }

    /// Entries passing `filter`, oldest first, and the eviction count.
    pub(crate) fn list(&self, filter: &Filter) -> (Vec<Value>, u64) {
        let (entries, evicted) = self.snapshot();
        let mut selected: Vec<&Arc<Entry>> = entries.iter().filter(|e| filter.matches(e)).collect();
        if let Some(limit) = filter.limit {
            let skip = selected.len().saturating_sub(limit);
            selected.drain(..skip);
        }
        (selected.into_iter().map(|e| e.to_json()).collect(), evicted)
    }

    /// How many entries match.
    pub(crate) fn count(&self, matcher: &Matcher) -> usize {
        let (entries, _) = self.snapshot();
        entries.iter().filter(|e| e.matches(matcher)).count()
    }

    /// Entries no route served and no rule answered.
    pub(crate) fn unmatched(&self) -> Vec<Value> {
        let (entries, _) = self.snapshot();
        entries
            .iter()
            .filter(|e| !e.routed)
            .map(|e| e.to_json())
            .collect()
    }
}

#[cfg(test)]
mod tests;
