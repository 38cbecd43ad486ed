//! The request journal of one session: what reached the vendor routes, with every secret
//! redacted (passwords in bodies and query strings, credentials in headers), bounded in
//! entries and in bytes, with a count of what was evicted.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Uri};
use parking_lot::Mutex;
use prometheus_client::metrics::counter::Counter;
use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

use crate::clock::format_millis;
use crate::php;
use crate::scenario::{Matcher, RequestView, trim_path};

/// Bodies larger than this are recorded as a note, not kept.
pub(crate) const MAX_RECORDED_BODY: usize = 16 * 1024;

/// What the journal keeps of a request body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RecordedBody {
    /// The input the request gave, secrets already replaced ([`redact_input`]). Kept as
    /// read and turned into JSON only when viewed: most entries are never looked at, and
    /// building the JSON on every request cost about 5,000 instructions (benches/instr.py).
    Input(php::Array),
    /// Anything else: a note about a body not kept, or `null` for no body.
    Json(Value),
}

impl RecordedBody {
    /// The body as the admin API shows it.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            RecordedBody::Input(input) => php::array_to_json(input),
            RecordedBody::Json(value) => value.clone(),
        }
    }

    /// About how many bytes it keeps alive.
    fn byte_size(&self) -> usize {
        match self {
            RecordedBody::Input(input) => input.byte_size(),
            RecordedBody::Json(value) => crate::store::json_bytes(value),
        }
    }
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

/// One recorded request.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Method.
    pub method: Method,
    /// The request target (path and query), copied: hyper's `Uri` shares the connection's
    /// read buffer, which an entry must not keep alive.
    pub target: Box<str>,
    /// Headers (credentials redacted, see [`is_secret_header`]).
    pub headers: RecordedHeaders,
    /// The body with every secret redacted; a note for bodies not kept.
    pub body: RecordedBody,
    /// The status answered; `None` when a fault answered nothing.
    pub status: Option<u16>,
    /// The answer's body, if it was JSON of at most [`MAX_RECORDED_BODY`] bytes (shared with
    /// the response, not copied); parsed and redacted only when viewed.
    pub response: Option<Bytes>,
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
        for (name, value) in self.headers.pairs() {
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
        let response = self.response.as_ref().map(|bytes| {
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
            "body": self.body.to_json(),
            "status": self.status,
            "response": response,
            "rule": self.rule.as_deref().unwrap_or("default"),
            "fault": self.fault,
            "delay_ms": self.delay_ms,
            "at": format_millis(self.at_ms),
        })
    }

    /// About how many bytes this entry keeps alive.
    pub(crate) fn byte_size(&self) -> usize {
        std::mem::size_of::<Entry>()
            + 64
            + self.target.len()
            + self.headers.0.len()
            + self.body.byte_size()
            + self.response.as_ref().map_or(0, Bytes::len)
    }

    /// The path, without the query string.
    pub(crate) fn path(&self) -> &str {
        self.target.split_once('?').map_or(&self.target, |(p, _)| p)
    }

    /// The query string, if any.
    pub(crate) fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    fn matches(&self, matcher: &Matcher) -> bool {
        let headers = self.headers.to_map();
        let body = self.body.to_json();
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
/// `Cookie`, or a name [`is_secret_name`] flags.
pub(crate) fn is_secret_header(name: &str) -> bool {
    [
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
        || is_secret_name(name)
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

/// Request headers as the journal keeps them: one owned block of `name NUL value NUL ...`
/// (one allocation per request; hyper's header values share the connection's read buffer,
/// which an entry must not keep alive), credentials redacted.
#[derive(Debug)]
pub(crate) struct RecordedHeaders(Box<[u8]>);

impl RecordedHeaders {
    /// Copies `headers`, replacing credentials ([`is_secret_header`]) with `***`.
    pub(crate) fn new(headers: &HeaderMap) -> Self {
        // The headers nearly every request has never hold a credential: no name check.
        const PLAIN: [HeaderName; 7] = [
            header::HOST,
            header::CONTENT_TYPE,
            header::CONTENT_LENGTH,
            header::ACCEPT,
            header::USER_AGENT,
            header::ACCEPT_ENCODING,
            header::CONNECTION,
        ];
        let redacted = |name: &HeaderName| !PLAIN.contains(name) && is_secret_header(name.as_str());
        // An upper bound (a redacted value is 3 bytes): one pass decides redaction.
        let size: usize = headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len().max(3) + 2)
            .sum();
        let mut block = Vec::with_capacity(size);
        for (name, value) in headers {
            block.extend_from_slice(name.as_str().as_bytes());
            block.push(0);
            block.extend_from_slice(if redacted(name) {
                b"***"
            } else {
                value.as_bytes()
            });
            block.push(0);
        }
        RecordedHeaders(block.into_boxed_slice())
    }

    /// The recorded `(name, value)` pairs, in request order.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let mut parts = self.0.split(|b| *b == 0);
        std::iter::from_fn(move || {
            let name = parts.next().filter(|n| !n.is_empty())?;
            Some((name, parts.next().unwrap_or_default()))
        })
    }

    /// As a `HeaderMap`, for matching (admin counts only, so rebuilt on demand).
    pub(crate) fn to_map(&self) -> HeaderMap {
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
    let Some(query) = uri.query() else {
        return uri.path().into();
    };
    let mut target = String::with_capacity(uri.path().len() + 1 + query.len());
    target.push_str(uri.path());
    target.push('?');
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            target.push('&');
        }
        let name = pair.split_once('=').map_or(pair, |(name, _)| name);
        let decoded: String = form_urlencoded::parse(name.as_bytes())
            .next()
            .map(|(k, _)| k.into_owned())
            .unwrap_or_default();
        if is_secret_name(&decoded) || is_secret_name(name) {
            target.push_str(name);
            target.push_str("=***");
        } else {
            target.push_str(pair);
        }
    }
    target.into()
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
