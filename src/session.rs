//! Sessions: isolated mock states selected by `X-Mock-Session` (CONTRACT 6.3).
//!
//! A session owns its scenario library and active scenario, its runtime (settings, users,
//! rule counters) and its journal. The runtime is swapped whole under one write lock on
//! reset or scenario change, so no request sees half of it. Named sessions are bounded: the
//! least recently used is evicted.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};

use crate::api::users;
use crate::clock::{Clock, Timestamp};
use crate::config::{Config, Settings};
use crate::journal::Journal;
use crate::scenario::{RuleEngine, Scenario};
use crate::store::Store;

/// The header that selects a session.
pub const SESSION_HEADER: &str = "x-mock-session";
/// The session used without the header.
pub const DEFAULT_SESSION: &str = "default";

/// The live state of a session's active scenario.
pub struct Runtime {
    /// The active scenario.
    pub scenario: Arc<Scenario>,
    /// Command-line settings overridden by the scenario's.
    pub settings: Settings,
    /// The users.
    pub store: Store,
    /// The rules and their counters.
    pub rules: RuleEngine,
    /// The clock; starts as `settings.clock` and can be moved by `PUT /__admin/clock`.
    clock: Mutex<Clock>,
}

impl Runtime {
    fn start(config: &Config, scenario: Arc<Scenario>) -> Self {
        let settings = config.settings.overlay(&scenario.settings);
        let store = Store::new(settings.id_start, config.max_users);
        for seed in &scenario.users {
            users::seed(&store, &settings, seed);
        }
        Runtime {
            rules: RuleEngine::new(Arc::clone(&scenario)),
            clock: Mutex::new(settings.clock),
            scenario,
            settings,
            store,
        }
    }

    /// Now, on this session's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.lock().now()
    }

    /// The clock in force.
    pub fn clock(&self) -> Clock {
        *self.clock.lock()
    }

    /// Freezes the clock at an instant, or returns it to real time (until the next reset).
    pub fn set_clock(&self, clock: Clock) {
        *self.clock.lock() = clock;
    }
}

struct Library {
    scenarios: Vec<Arc<Scenario>>,
    active: String,
}

/// One isolated mock state.
pub struct Session {
    config: Arc<Config>,
    library: Mutex<Library>,
    runtime: RwLock<Arc<Runtime>>,
    /// The request journal.
    pub journal: Journal,
}

impl Session {
    fn new(config: Arc<Config>, journal_capacity: usize) -> Self {
        let active = config
            .scenarios
            .iter()
            .find(|s| s.name == config.active)
            .or_else(|| config.scenarios.first())
            .cloned()
            .expect("a config always holds the default scenario");
        Session {
            runtime: RwLock::new(Arc::new(Runtime::start(&config, Arc::clone(&active)))),
            library: Mutex::new(Library {
                scenarios: config.scenarios.clone(),
                active: active.name.clone(),
            }),
            journal: Journal::new(journal_capacity),
            config,
        }
    }

    /// The current runtime (a cheap handle; it stays valid across a reset).
    pub fn runtime(&self) -> Arc<Runtime> {
        Arc::clone(&self.runtime.read())
    }

    /// Back to the active scenario's start: users, ids, rule counters and journal.
    /// Returns how many seed users were created.
    pub fn reset(&self) -> usize {
        let scenario = {
            let library = self.library.lock();
            library
                .scenarios
                .iter()
                .find(|s| s.name == library.active)
                .cloned()
                .expect("the active scenario is always in the library")
        };
        self.start(scenario)
    }

    fn start(&self, scenario: Arc<Scenario>) -> usize {
        let seeded = scenario.users.len();
        let fresh = Arc::new(Runtime::start(&self.config, scenario));
        *self.runtime.write() = fresh;
        self.journal.clear();
        seeded
    }

    /// Activates a loaded scenario by name and resets. `None` if there is no such scenario.
    pub fn activate(&self, name: &str) -> Option<usize> {
        let scenario = {
            let mut library = self.library.lock();
            let found = library.scenarios.iter().find(|s| s.name == name).cloned()?;
            library.active = found.name.clone();
            found
        };
        Some(self.start(scenario))
    }

    /// Adds (or replaces, by name) a scenario in this session's library, activates it and
    /// resets.
    pub fn install(&self, scenario: Scenario) -> usize {
        let scenario = Arc::new(scenario);
        {
            let mut library = self.library.lock();
            match library
                .scenarios
                .iter_mut()
                .find(|s| s.name == scenario.name)
            {
                Some(slot) => *slot = Arc::clone(&scenario),
                None => library.scenarios.push(Arc::clone(&scenario)),
            }
            library.active = scenario.name.clone();
        }
        self.start(scenario)
    }

    /// The library: every scenario and which one is active.
    pub fn scenarios(&self) -> (Vec<Arc<Scenario>>, String) {
        let library = self.library.lock();
        (library.scenarios.clone(), library.active.clone())
    }
}

/// Why an `X-Mock-Session` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("X-Mock-Session must be 1 to 128 characters of letters, digits and -_.:@")]
pub struct BadSessionId;

/// Every session of a server.
pub struct Sessions {
    config: Arc<Config>,
    default: Arc<Session>,
    named: Mutex<HashMap<String, Slot>>,
    tick: AtomicU64,
}

struct Slot {
    session: Arc<Session>,
    last_used: u64,
}

impl Sessions {
    /// The `default` session, started from the configured active scenario.
    pub fn new(config: Arc<Config>) -> Self {
        Sessions {
            default: Arc::new(Session::new(Arc::clone(&config), config.journal_capacity)),
            config,
            named: Mutex::new(HashMap::new()),
            tick: AtomicU64::new(0),
        }
    }

    /// The session a header value names (`None`: `default`), created on first use from the
    /// scenario active at server start, evicting the least recently used one when full.
    ///
    /// # Errors
    /// [`BadSessionId`] for an empty, overlong or oddly charactered id.
    pub fn get(&self, id: Option<&str>) -> Result<Arc<Session>, BadSessionId> {
        let id = match id {
            None => return Ok(Arc::clone(&self.default)),
            Some(DEFAULT_SESSION) => return Ok(Arc::clone(&self.default)),
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
        if self.config.max_sessions == 0 {
            return Ok(Arc::clone(&self.default));
        }
        if named.len() >= self.config.max_sessions
            && let Some(oldest) = named
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(k, _)| k.clone())
        {
            named.remove(&oldest);
        }
        let session = Arc::new(Session::new(
            Arc::clone(&self.config),
            self.config.session_journal_capacity,
        ));
        named.insert(
            id.to_owned(),
            Slot {
                session: Arc::clone(&session),
                last_used: now,
            },
        );
        Ok(session)
    }

    /// How many named sessions exist.
    pub fn len(&self) -> usize {
        self.named.lock().len()
    }

    /// Whether only `default` exists.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
