//! What the mock counts, exposed at `GET /__admin/metrics` in the OpenMetrics text format
//! (which Prometheus scrapes), through the `prometheus-client` crate.
//!
//! Counters move as things happen; the sizes (users, bytes, sessions, journal) are read
//! from the state when scraped. Every label takes values from a small fixed set (routes,
//! known methods, statuses, rule names from the loaded scenarios), so a client cannot grow
//! the families without bound.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// How many label sets of served requests keep a handle in [`Metrics`]'s scan list.
const HOT_LABEL_SETS: usize = 32;

/// One label set's counter and its route's histogram (handles sharing the families' values).
struct Hot {
    route: &'static str,
    method: &'static str,
    status: u16,
    rule: Box<str>,
    count: Counter,
    latency: Histogram,
}

/// Labels of a served request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    /// The endpoint (`user_create`, ...), `options`, `admin` or `unmatched`.
    pub route: &'static str,
    /// The method, or `other` for a method no route knows.
    pub method: &'static str,
    /// The status answered; `0` when a fault answered nothing.
    pub status: u16,
    /// The rule that answered, or `default`.
    pub rule: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FaultLabels {
    fault: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

/// Sizes read from the state at scrape time.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sizes {
    /// Active users in all sessions.
    pub users: i64,
    /// Bytes the users of all sessions take.
    pub store_bytes: i64,
    /// Sessions besides `default`.
    pub sessions: i64,
    /// Journal entries kept in all sessions.
    pub journal_entries: i64,
    /// Bytes those entries take.
    pub journal_bytes: i64,
}

/// The server's metrics.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    /// The counters of the label sets seen first, found by a scan: the families hash their
    /// labels with SipHash under a lock, about 1,500 instructions per request.
    hot: parking_lot::Mutex<Vec<Hot>>,
    open_connections: Gauge,
    refused_connections: Counter,
    faults: Family<FaultLabels, Counter>,
    journal_evictions: Counter,
    reloads: Family<ResultLabels, Counter>,
    stream_dropped: Counter,
    users: Gauge,
    store_bytes: Gauge,
    sessions: Gauge,
    journal_entries: Gauge,
    journal_bytes: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("vms_mock");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Requests answered, by route, method, status and rule",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                1.0, 2.5, 5.0, 10.0, 30.0,
            ])
        });
        registry.register_with_unit(
            "request_duration",
            "Time from the request head to the answer, delays included",
            Unit::Seconds,
            latency.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let counter = |registry: &mut Registry, name: &str, help: &str| {
            let c = Counter::default();
            registry.register(name, help, c.clone());
            c
        };
        let open_connections = gauge(&mut registry, "open_connections", "Connections open now");
        let refused_connections = counter(
            &mut registry,
            "refused_connections",
            "Connections refused with 503 over --max-connections",
        );
        let faults = Family::<FaultLabels, Counter>::default();
        registry.register(
            "faults",
            "Faults injected by scenario rules",
            faults.clone(),
        );
        let journal_evictions = counter(
            &mut registry,
            "journal_evictions",
            "Journal entries evicted to stay within the journal's bounds",
        );
        let reloads = Family::<ResultLabels, Counter>::default();
        registry.register(
            "reloads",
            "Reloads of the schema and scenario files, by result (ok, failed)",
            reloads.clone(),
        );
        let stream_dropped = counter(
            &mut registry,
            "stream_dropped_events",
            "Request-stream events a slow subscriber missed",
        );
        let users = gauge(&mut registry, "users", "Active users in all sessions");
        let store_bytes = Gauge::default();
        registry.register_with_unit(
            "store",
            "Bytes the users of all sessions take (bounded by --max-store-bytes)",
            Unit::Bytes,
            store_bytes.clone(),
        );
        let sessions = gauge(&mut registry, "sessions", "Sessions besides default");
        let journal_entries = gauge(&mut registry, "journal_entries", "Journal entries kept");
        let journal_bytes = Gauge::default();
        registry.register_with_unit(
            "journal",
            "Bytes the kept journal entries take",
            Unit::Bytes,
            journal_bytes.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            hot: parking_lot::Mutex::new(Vec::new()),
            open_connections,
            refused_connections,
            faults,
            journal_evictions,
            reloads,
            stream_dropped,
            users,
            store_bytes,
            sessions,
            journal_entries,
            journal_bytes,
        }
    }
}

impl Metrics {
    /// Counts an answered request and how long it took.
    pub(crate) fn request(
        &self,
        route: &'static str,
        method: &'static str,
        status: u16,
        rule: &str,
        seconds: f64,
    ) {
        {
            let hot = self.hot.lock();
            let found = hot.iter().find(|h| {
                h.status == status && h.route == route && h.method == method && *h.rule == *rule
            });
            if let Some(h) = found {
                h.count.inc();
                h.latency.observe(seconds);
                return;
            }
        }
        let labels = RequestLabels {
            route,
            method,
            status,
            rule: rule.to_owned(),
        };
        let count = self.requests.get_or_create(&labels).clone();
        let latency = self.latency.get_or_create(&RouteLabels { route }).clone();
        count.inc();
        latency.observe(seconds);
        let mut hot = self.hot.lock();
        if hot.len() < HOT_LABEL_SETS {
            hot.push(Hot {
                route,
                method,
                status,
                rule: labels.rule.into(),
                count,
                latency,
            });
        }
    }

    /// Counts an injected fault.
    pub(crate) fn fault(&self, fault: &'static str) {
        self.faults.get_or_create(&FaultLabels { fault }).inc();
    }

    /// Counts a reload, `ok` or `failed`.
    pub(crate) fn reload(&self, ok: bool) {
        let result = if ok { "ok" } else { "failed" };
        self.reloads.get_or_create(&ResultLabels { result }).inc();
    }

    /// The counter request streams bump for the events a slow subscriber missed.
    pub(crate) fn stream_dropped(&self) -> Counter {
        self.stream_dropped.clone()
    }

    /// The counter journals bump on every eviction.
    pub(crate) fn journal_evictions(&self) -> Counter {
        self.journal_evictions.clone()
    }

    /// A connection opened; it counts as open until the guard is dropped.
    pub(crate) fn connection_opened(&self) -> OpenConnection {
        self.open_connections.inc();
        OpenConnection(self.open_connections.clone())
    }

    /// A connection refused over the cap.
    pub(crate) fn connection_refused(&self) {
        self.refused_connections.inc();
    }

    /// The exposition, with the sizes as of now.
    pub(crate) fn render(&self, sizes: Sizes) -> String {
        self.users.set(sizes.users);
        self.store_bytes.set(sizes.store_bytes);
        self.sessions.set(sizes.sessions);
        self.journal_entries.set(sizes.journal_entries);
        self.journal_bytes.set(sizes.journal_bytes);
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Counts a connection as open while it lives.
pub(crate) struct OpenConnection(Gauge);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}
