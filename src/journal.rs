//! The request journal of one session: what reached the vendor routes, with every password
//! redacted, bounded in length with a count of what was evicted.

use std::collections::VecDeque;
use std::sync::Arc;

use hyper::header::HeaderName;
use hyper::header::{AUTHORIZATION, COOKIE, HeaderMap, HeaderValue};
use hyper::{Method, Uri};
use parking_lot::Mutex;
use serde_json::{Map, Value, json};

use crate::clock::format_millis;
use crate::scenario::{Matcher, RequestView, trim_path};

/// Bodies larger than this are recorded as a note, not kept.
pub(crate) const MAX_RECORDED_BODY: usize = 16 * 1024;

/// One recorded request.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Method.
    pub method: Method,
    /// The request target (path and query), copied: hyper's `Uri` shares the connection's
    /// read buffer, which an entry must not keep alive.
    pub target: Box<str>,
    /// Headers (`Authorization` and `Cookie` redacted).
    pub headers: RecordedHeaders,
    /// The JSON body with every password redacted; a note for bodies not kept.
    pub body: Value,
    /// The status answered; `None` when a fault answered nothing.
    pub status: Option<u16>,
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
        json!({
            "method": self.method.as_str(),
            "path": self.path(),
            "query": self.query(),
            "headers": headers,
            "body": self.body,
            "status": self.status,
            "rule": self.rule.as_deref().unwrap_or("default"),
            "fault": self.fault,
            "at": format_millis(self.at_ms),
        })
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
        matcher.matches(&RequestView {
            method: &self.method,
            path: self.path(),
            headers: &headers,
            body: Some(&self.body),
        })
    }
}

/// Replaces every value whose key names a password, at any depth, with `"***"`.
pub(crate) fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key.to_ascii_lowercase().contains("password") {
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
    /// Copies `headers`, replacing `Authorization` and `Cookie` values with `***`.
    pub(crate) fn new(headers: &HeaderMap) -> Self {
        let redacted = |name: &HeaderName| *name == AUTHORIZATION || *name == COOKIE;
        let size: usize = headers
            .iter()
            .map(|(n, v)| n.as_str().len() + if redacted(n) { 3 } else { v.len() } + 2)
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

/// The request target as recorded: an owned copy of path and query.
pub(crate) fn recorded_target(uri: &Uri) -> Box<str> {
    uri.path_and_query()
        .map_or(uri.path(), |pq| pq.as_str())
        .into()
}

/// Which entries `GET /__admin/requests` returns.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    /// Only this method.
    pub method: Option<Method>,
    /// Only this path (trailing slash ignored).
    pub path: Option<String>,
    /// Only this status.
    pub status: Option<u16>,
    /// Only the most recent N.
    pub limit: Option<usize>,
}

/// A bounded journal.
pub(crate) struct Journal {
    inner: Mutex<Inner>,
    capacity: usize,
}

#[derive(Default)]
struct Inner {
    entries: VecDeque<Arc<Entry>>,
    evicted: u64,
}

impl Journal {
    /// A journal keeping at most `capacity` entries (0 keeps none, counting all as evicted).
    pub(crate) fn new(capacity: usize) -> Self {
        Journal {
            inner: Mutex::new(Inner::default()),
            capacity,
        }
    }

    /// Appends an entry, evicting the oldest past the capacity.
    pub(crate) fn record(&self, entry: Entry) {
        let entry = Arc::new(entry);
        let mut inner = self.inner.lock();
        if self.capacity == 0 {
            inner.evicted += 1;
            return;
        }
        if inner.entries.len() >= self.capacity {
            inner.entries.pop_front();
            inner.evicted += 1;
        }
        inner.entries.push_back(entry);
    }

    /// Forgets every entry and the eviction count.
    pub(crate) fn clear(&self) {
        *self.inner.lock() = Inner::default();
    }

    fn snapshot(&self) -> (Vec<Arc<Entry>>, u64) {
        let inner = self.inner.lock();
        (inner.entries.iter().cloned().collect(), inner.evicted)
    }

    /// Entries passing `filter`, oldest first, and the eviction count.
    pub(crate) fn list(&self, filter: &Filter) -> (Vec<Value>, u64) {
        let (entries, evicted) = self.snapshot();
        let wanted_path = filter.path.as_deref().map(trim_path);
        let mut selected: Vec<&Arc<Entry>> = entries
            .iter()
            .filter(|e| filter.method.as_ref().is_none_or(|m| *m == e.method))
            .filter(|e| wanted_path.is_none_or(|p| trim_path(e.path()) == p))
            .filter(|e| filter.status.is_none_or(|s| e.status == Some(s)))
            .collect();
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
mod tests {
    use super::*;

    fn entry(n: u16) -> Entry {
        Entry {
            method: Method::POST,
            target: "/p".into(),
            headers: RecordedHeaders::new(&HeaderMap::new()),
            body: Value::Null,
            status: Some(n),
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
    fn recorded_headers_copy_redact_and_round_trip() {
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("application/json"));
        h.insert(AUTHORIZATION, HeaderValue::from_static("Bearer secret"));
        h.append("x-many", HeaderValue::from_static("a"));
        h.append("x-many", HeaderValue::from_static(""));
        let rec = RecordedHeaders::new(&h);
        let pairs: Vec<(&[u8], &[u8])> = rec.pairs().collect();
        assert_eq!(
            pairs,
            [
                (&b"content-type"[..], &b"application/json"[..]),
                (&b"authorization"[..], &b"***"[..]),
                (&b"x-many"[..], &b"a"[..]),
                (&b"x-many"[..], &b""[..]),
            ]
        );
        let map = rec.to_map();
        assert_eq!(map.get_all("x-many").iter().count(), 2);
        assert_eq!(map.get(AUTHORIZATION).unwrap(), "***");
    }

    #[test]
    fn capacity_bounds_and_counts_evictions() {
        let j = Journal::new(3);
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
}
