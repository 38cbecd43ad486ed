//! Sessions: isolated mock states selected by `X-Mock-Session` (CONTRACT 6.3).
//!
//! A session owns its scenario library and active scenario, its state (settings, users,
//! rule counters, clock) and its journal. The state is swapped whole under one write lock on
//! reset or scenario change, so no request sees half of it. Named sessions are bounded: the
//! least recently used is evicted.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use parking_lot::{Mutex, RwLock};
use prometheus_client::metrics::counter::Counter;
use tokio::sync::broadcast;

use crate::clock::{Clock, Timestamp};
use crate::config::{Config, Settings};
use crate::feed::STREAM_CAPACITY;
use crate::journal::{Feed, Journal, StreamEvent};
use crate::scenario::{RuleEngine, Scenario};
use crate::store::{Budget, Store};

/// The header that selects a session.
pub(crate) const SESSION_HEADER: hyper::header::HeaderName =
    hyper::header::HeaderName::from_static("x-mock-session");
/// The session used without the header.
pub(crate) const DEFAULT_SESSION: &str = "default";

/// The live state of a session's active scenario: what a reset rebuilds.
pub(crate) struct SessionState {
    scenario: Arc<Scenario>,
    settings: Settings,
    /// Shared with the state a reload that keeps users builds next.
    store: Arc<Store>,
    rules: RuleEngine,
    /// Starts as `settings.clock`; `PUT /__admin/clock` moves it.
    clock: Mutex<Clock>,
}

impl SessionState {
    fn start(config: &Config, scenario: Arc<Scenario>, budget: &Arc<Budget>) -> Self {
        let settings = config.settings().overlay(scenario.settings());
        let store = Arc::new(Store::new(
            settings.id_start,
            config.limits().max_users,
            Arc::clone(budget),
        ));
        let now = settings.clock.now();
        for seed in scenario.users() {
            let mut draft = seed.clone();
            draft.now = now;
            // A seed can only fail if --max-users or --max-store-bytes is below what the seeds
            // need; then the surplus seeds are dropped, as the store is full anyway.
            let _ = store.insert(draft, false, |_| ());
        }
        SessionState {
            rules: RuleEngine::new(Arc::clone(&scenario)),
            clock: Mutex::new(settings.clock),
            scenario,
            settings,
            store,
        }
    }

    /// A state for `scenario` that keeps this one's users, ids and clock (a reload that
    /// keeps state): new settings and rules, rule counters at zero.
    fn keeping_users(&self, config: &Config, scenario: Arc<Scenario>) -> Self {
        SessionState {
            rules: RuleEngine::new(Arc::clone(&scenario)),
            settings: config.settings().overlay(scenario.settings()),
            clock: Mutex::new(*self.clock.lock()),
            store: Arc::clone(&self.store),
            scenario,
        }
    }

    /// The active scenario.
    pub(crate) fn scenario(&self) -> &Arc<Scenario> {
        &self.scenario
    }

    /// Command-line settings overridden by the scenario's.
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The users.
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    /// The rules and their counters.
    pub(crate) fn rules(&self) -> &RuleEngine {
        &self.rules
    }

    /// Now, on this session's clock.
    pub(crate) fn now(&self) -> Timestamp {
        self.clock.lock().now()
    }

    /// The clock in force.
    pub(crate) fn clock(&self) -> Clock {
        *self.clock.lock()
    }

    /// Freezes the clock at an instant, or returns it to real time (until the next reset).
    pub(crate) fn set_clock(&self, clock: Clock) {
        *self.clock.lock() = clock;
    }
}

/// The scenarios a session knows, and which one is active.
struct Library {
    scenarios: Vec<Arc<Scenario>>,
    active: String,
}

impl Library {
    fn find(&self, name: &str) -> Option<Arc<Scenario>> {
        self.scenarios.iter().find(|s| s.name() == name).cloned()
    }
}

/// One isolated mock state.
pub(crate) struct Session {
    config: ArcSwap<Config>,
    /// The server-wide user byte budget every store of this session draws from.
    budget: Arc<Budget>,
    library: Mutex<Library>,
    state: RwLock<Arc<SessionState>>,
    journal: Journal,
}

impl Session {
    fn new(config: Arc<Config>, budget: Arc<Budget>, journal: Journal) -> Self {
        let active = config.active_scenario();
        Session {
            state: RwLock::new(Arc::new(SessionState::start(
                &config,
                Arc::clone(&active),
                &budget,
            ))),
            library: Mutex::new(Library {
                scenarios: config.scenarios().to_vec(),
                active: active.name().to_owned(),
            }),
            journal,
            budget,
            config: ArcSwap::new(config),
        }
    }

    /// Follows a reloaded configuration: the library becomes its scenarios, the active one
    /// stays active if it is still there (else the configured one), and the state restarts
    /// from it, keeping users, ids and clock with `keep`.
    fn reload(&self, config: &Arc<Config>, keep: bool) {
        self.config.store(Arc::clone(config));
        let scenario = {
            let mut library = self.library.lock();
            library.scenarios = config.scenarios().to_vec();
            let found = library
                .find(&library.active)
                .unwrap_or_else(|| config.active_scenario());
            library.active = found.name().to_owned();
            found
        };
        let fresh = if keep {
            self.state().keeping_users(config, scenario)
        } else {
            SessionState::start(config, scenario, &self.budget)
        };
        *self.state.write() = Arc::new(fresh);
    }

    /// The current state (a cheap handle; it stays valid across a reset).
    pub(crate) fn state(&self) -> Arc<SessionState> {
        Arc::clone(&self.state.read())
    }

    /// The request journal.
    pub(crate) fn journal(&self) -> &Journal {
        &self.journal
    }

    /// Back to the active scenario's start: users, ids, rule counters, clock and journal.
    /// Returns how many seed users were created.
    pub(crate) fn reset(&self) -> usize {
        let scenario = {
            let library = self.library.lock();
            library.find(&library.active)
        };
        // The active scenario is always in the library; the config's is the fallback.
        self.start(scenario.unwrap_or_else(|| self.config.load().active_scenario()))
    }

    fn start(&self, scenario: Arc<Scenario>) -> usize {
        let seeded = scenario.users().len();
        let fresh = Arc::new(SessionState::start(
            &self.config.load(),
            scenario,
            &self.budget,
        ));
        *self.state.write() = fresh;
        self.journal.clear();
        seeded
    }

    /// Activates a loaded scenario by name and resets. `None` if there is no such scenario.
    pub(crate) fn activate(&self, name: &str) -> Option<usize> {
        let scenario = {
            let mut library = self.library.lock();
            let found = library.find(name)?;
            library.active = found.name().to_owned();
            found
        };
        Some(self.start(scenario))
    }

    /// Adds (or replaces, by name) a scenario in this session's library, activates it and
    /// resets.
    pub(crate) fn install(&self, scenario: Scenario) -> usize {
        let scenario = Arc::new(scenario);
        {
            let mut library = self.library.lock();
            match library
                .scenarios
                .iter_mut()
                .find(|s| s.name() == scenario.name())
            {
                Some(slot) => *slot = Arc::clone(&scenario),
                None => library.scenarios.push(Arc::clone(&scenario)),
            }
            library.active = scenario.name().to_owned();
        }
        self.start(scenario)
    }

    /// The library: every scenario and which one is active.
    pub(crate) fn scenarios(&self) -> (Vec<Arc<Scenario>>, String) {
        let library = self.library.lock();
        (library.scenarios.clone(), library.active.clone())
    }
}

/// Why an `X-Mock-Session` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("X-Mock-Session must be 1 to 128 characters of letters, digits and -_.:@")]
pub(crate) struct BadSessionId;

/// Every session of a server.
pub(crate) struct Sessions {
    config: ArcSwap<Config>,
    /// The live request stream every journal announces its entries on.
    events: broadcast::Sender<StreamEvent>,
    budget: Arc<Budget>,
    evictions: Counter,
    default: Arc<Session>,
    named: Mutex<HashMap<String, Named>>,
    tick: AtomicU64,
}

struct Named {
    session: Arc<Session>,
    last_used: u64,
}

impl Sessions {
    /// The `default` session, started from the configured active scenario.
    pub(crate) fn new(config: Arc<Config>, evictions: Counter) -> Self {
        let limits = config.limits();
        let budget = Arc::new(Budget::new(limits.max_store_bytes));
        let (events, _) = broadcast::channel(STREAM_CAPACITY);
        let journal = Journal::new(
            limits.journal_capacity,
            limits.journal_bytes,
            evictions.clone(),
        )
        .with_feed(Feed {
            sender: events.clone(),
            session: DEFAULT_SESSION.into(),
        });
        Sessions {
            default: Arc::new(Session::new(
                Arc::clone(&config),
                Arc::clone(&budget),
                journal,
            )),
            budget,
            evictions,
            events,
            config: ArcSwap::new(config),
            named: Mutex::new(HashMap::new()),
            tick: AtomicU64::new(0),
        }
    }

    /// The session a header value names (`None`: `default`), created on first use from the
    /// scenario active at server start, evicting the least recently used one when full.
    ///
    /// # Errors
    /// [`BadSessionId`] for an empty, overlong or oddly charactered id.
    pub(crate) fn get(&self, id: Option<&str>) -> Result<Arc<Session>, BadSessionId> {
        let id = match id {
            None | Some(DEFAULT_SESSION) => return Ok(Arc::clone(&self.default)),
            Some(id) => id,
        };
        if id.is_empty()
            || id.len() > 128
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:@".contains(c))
        {
            return Err(BadSessionId);
        }
        let now = self.tick.fetch_add(1, Ordering::Relaxed);
        let mut named = self.named.lock();
        if let Some(slot) = named.get_mut(id) {
            slot.last_used = now;
            return Ok(Arc::clone(&slot.session));
        }
        let config = self.config.load_full();
        let limits = config.limits();
        if limits.max_sessions == 0 {
            return Ok(Arc::clone(&self.default));
        }
        // A linear scan: at most --max-sessions (256 by default) entries, once per new session.
        if named.len() >= limits.max_sessions
            && let Some(oldest) = named
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(k, _)| k.clone())
        {
            named.remove(&oldest);
        }
        let session = Arc::new(Session::new(
            Arc::clone(&config),
            Arc::clone(&self.budget),
            Journal::new(
                limits.session_journal_capacity,
                limits.session_journal_bytes,
                self.evictions.clone(),
            )
            .with_feed(Feed {
                sender: self.events.clone(),
                session: id.into(),
            }),
        ));
        named.insert(
            id.to_owned(),
            Named {
                session: Arc::clone(&session),
                last_used: now,
            },
        );
        Ok(session)
    }
}

impl Sessions {
    /// The live request stream.
    pub(crate) fn events(&self) -> &broadcast::Sender<StreamEvent> {
        &self.events
    }

    /// The named sessions, copied out so the map's lock is not held while they are used.
    fn named_sessions(&self) -> Vec<Arc<Session>> {
        self.named
            .lock()
            .values()
            .map(|n| Arc::clone(&n.session))
            .collect()
    }

    /// Every session follows a reloaded configuration (see [`Session::reload`]); sessions
    /// created later start from it.
    pub(crate) fn reload(&self, config: &Arc<Config>, keep: bool) {
        self.config.store(Arc::clone(config));
        let named = self.named_sessions();
        for session in named.iter().chain(std::iter::once(&self.default)) {
            session.reload(config, keep);
        }
    }

    /// Active users, named sessions, journal entries and journal bytes, over every session.
    pub(crate) fn sizes(&self) -> (usize, usize, usize, usize) {
        let named = self.named_sessions();
        let sessions = named.len();
        let (mut users, mut entries, mut bytes) = (0, 0, 0);
        for session in named.iter().chain(std::iter::once(&self.default)) {
            users += session.state().store().active_count();
            let (e, b, _) = session.journal().usage();
            entries += e;
            bytes += b;
        }
        (users, sessions, entries, bytes)
    }

    /// Bytes the users of every session take.
    pub(crate) fn store_bytes(&self) -> usize {
        self.budget.used()
    }
}
