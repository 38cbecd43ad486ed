//! The validated configuration a server runs with, built from the command line or in code.
//!
//! Loads and compiles schemas and scenarios eagerly, so a broken file fails at start, not at
//! the first request.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::ServeArgs;
use crate::clock::{Clock, Timestamp};
use crate::error::StartupError;
use crate::scenario::{self, OnDuplicateLogin, Scenario, ScenarioSettings};
use crate::validation::{Locale, Schemas};

/// Behaviour settings: the command line's, overridden by the active scenario's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Message language.
    pub locale: Locale,
    /// Answer a validation failure with Laravel's 302 when the client does not ask for JSON.
    pub strict_accept: bool,
    /// The first user id.
    pub id_start: u64,
    /// Real time or a frozen instant.
    pub clock: Clock,
    /// What a create with a taken login does.
    pub on_duplicate_login: OnDuplicateLogin,
    /// Analytics licences available per level (`None`: unlimited).
    pub licenses_available: [Option<u64>; 3],
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            locale: Locale::En,
            strict_accept: false,
            id_start: 1,
            clock: Clock::System,
            on_duplicate_login: OnDuplicateLogin::Reject,
            licenses_available: [None; 3],
        }
    }
}

impl Settings {
    /// These settings with every setting the scenario gives taking precedence.
    pub fn overlay(&self, s: &ScenarioSettings) -> Settings {
        Settings {
            locale: s.locale.unwrap_or(self.locale),
            strict_accept: s.strict_accept.unwrap_or(self.strict_accept),
            id_start: s.id_start.unwrap_or(self.id_start),
            clock: s.clock.map_or(self.clock, Clock::Frozen),
            on_duplicate_login: s.on_duplicate_login.unwrap_or(self.on_duplicate_login),
            licenses_available: s.licenses_available.unwrap_or(self.licenses_available),
        }
    }
}

/// Everything a server needs to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on.
    pub bind: IpAddr,
    /// Port; 0 lets the OS pick.
    pub port: u16,
    /// Where to write the real port once listening.
    pub port_file: Option<PathBuf>,
    /// Compiled request schemas.
    pub schemas: Arc<Schemas>,
    /// Behaviour settings from the command line.
    pub settings: Settings,
    /// Largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// Most users (active and soft-deleted) one session's store holds.
    pub max_users: usize,
    /// Every loaded scenario; names are unique.
    pub scenarios: Vec<Arc<Scenario>>,
    /// The name of the scenario active at start (and in every new session).
    pub active: String,
    /// Most journal entries the default session keeps.
    pub journal_capacity: usize,
    /// Most journal entries each named session keeps.
    pub session_journal_capacity: usize,
    /// Most sessions besides `default`.
    pub max_sessions: usize,
}

/// Default `--max-body-bytes`: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;
/// Default `--max-users`.
pub const DEFAULT_MAX_USERS: usize = 2_000_000;
/// Default `--journal-capacity`.
pub const DEFAULT_JOURNAL_CAPACITY: usize = 10_000;
/// Default `--session-journal-capacity`: named sessions are many, so each keeps less.
pub const DEFAULT_SESSION_JOURNAL_CAPACITY: usize = 1_000;
/// Default `--max-sessions`.
pub const DEFAULT_MAX_SESSIONS: usize = 256;

impl Default for Config {
    /// Embedded schemas and `default` scenario, default settings, `127.0.0.1:8080`.
    fn default() -> Self {
        let schemas =
            Schemas::embedded().expect("embedded schemas compile; the test suite proves it");
        let default = scenario::default_scenario(&schemas)
            .expect("the embedded default scenario loads; tested");
        Config {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            port_file: None,
            schemas: Arc::new(schemas),
            settings: Settings::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_users: DEFAULT_MAX_USERS,
            scenarios: vec![Arc::new(default)],
            active: "default".into(),
            journal_capacity: DEFAULT_JOURNAL_CAPACITY,
            session_journal_capacity: DEFAULT_SESSION_JOURNAL_CAPACITY,
            max_sessions: DEFAULT_MAX_SESSIONS,
        }
    }
}

impl Config {
    /// Validates the command line and loads every file it names.
    ///
    /// # Errors
    /// A [`StartupError`] naming the flag or file and the problem.
    pub fn from_args(args: &ServeArgs) -> Result<Self, StartupError> {
        let schemas = match &args.schemas {
            Some(dir) => Schemas::load_dir(dir)?,
            None => Schemas::embedded()?,
        };
        let clock = match &args.clock {
            Some(text) => Clock::Frozen(Timestamp::parse_rfc3339(text)?),
            None => Clock::System,
        };
        for (flag, value) in [
            ("--max-body-bytes", args.max_body_bytes),
            ("--max-users", args.max_users),
        ] {
            if value == 0 {
                return Err(StartupError::Setting(format!("{flag} must be at least 1")));
            }
        }
        let mut config = Config {
            bind: args.bind,
            port: args.port,
            port_file: args.port_file.clone(),
            settings: Settings {
                locale: args.locale,
                strict_accept: args.strict_accept,
                id_start: args.id_start,
                clock,
                on_duplicate_login: OnDuplicateLogin::Reject,
                licenses_available: [None; 3],
            },
            max_body_bytes: args.max_body_bytes,
            max_users: args.max_users,
            scenarios: vec![Arc::new(scenario::default_scenario(&schemas)?)],
            active: "default".into(),
            journal_capacity: args.journal_capacity,
            session_journal_capacity: args.session_journal_capacity,
            max_sessions: args.max_sessions,
            schemas: Arc::new(schemas),
        };
        if let Some(dir) = &args.scenarios {
            for path in scenario_files(dir)? {
                config.add_scenario(scenario::load_file(&path, &config.schemas)?)?;
            }
        }
        if let Some(file) = &args.scenario {
            let loaded = scenario::load_file(file, &config.schemas)?;
            config.active = loaded.name.clone();
            config.add_scenario(loaded)?;
        }
        if let Some(active) = &args.active {
            config.active = active.clone();
        }
        if !config.scenarios.iter().any(|s| s.name == config.active) {
            return Err(StartupError::Setting(format!(
                "--active: no scenario named {:?}; loaded: {}",
                config.active,
                config.scenario_names().join(", ")
            )));
        }
        Ok(config)
    }

    /// Adds a scenario. A loaded `default` replaces the embedded one; any other clash of
    /// names is an error.
    ///
    /// # Errors
    /// [`StartupError::Setting`] naming the duplicate.
    pub fn add_scenario(&mut self, scenario: Scenario) -> Result<(), StartupError> {
        if let Some(existing) = self.scenarios.iter_mut().find(|s| s.name == scenario.name) {
            if scenario.name == "default" {
                *existing = Arc::new(scenario);
                return Ok(());
            }
            return Err(StartupError::Setting(format!(
                "two scenarios are named {:?}: names must be unique",
                scenario.name
            )));
        }
        self.scenarios.push(Arc::new(scenario));
        Ok(())
    }

    /// The loaded scenario names, in load order.
    pub fn scenario_names(&self) -> Vec<&str> {
        self.scenarios.iter().map(|s| s.name.as_str()).collect()
    }
}

/// The `*.json` files of a scenario folder, sorted.
///
/// # Errors
/// When the folder cannot be read.
pub fn scenario_files(dir: &Path) -> Result<Vec<PathBuf>, StartupError> {
    let io = |e: std::io::Error| StartupError::Setting(format!("{}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io)?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    Ok(files)
}
