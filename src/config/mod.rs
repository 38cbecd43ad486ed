//! The validated configuration a server runs with, built from the command line or in code.
//!
//! Loads and compiles schemas and scenarios eagerly, so a broken file fails at start, not at
//! the first request. `check` goes through the same loading functions, so it refuses exactly
//! what startup refuses.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::{self, ReloadState, ServeArgs};
use crate::clock::{Clock, Timestamp};
use crate::error::StartupError;
use crate::limits::Limits;
use crate::scenario::{OnDuplicateLogin, Scenario, ScenarioSettings};
use crate::store::Licenses;
use crate::tls::{Tls, TlsSource};
use crate::validation::{Locale, Schemas};

mod load;

pub(crate) use load::{ScenarioSet, json_files, load_schemas};
use load::{limits_of, tls_of};

/// Behaviour settings: the command line's, overridden by the active scenario's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Settings {
    /// Message language.
    pub locale: Locale,
    /// Answer clients that do not ask for JSON as Laravel does (302, HTML pages).
    pub strict_accept: bool,
    /// The first user id.
    pub id_start: u64,
    /// Real time or a frozen instant.
    pub clock: Clock,
    /// What a create with a taken login does.
    pub on_duplicate_login: OnDuplicateLogin,
    /// Analytics licences available per level (`None`: unlimited).
    pub licenses_available: Licenses,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            locale: Locale::En,
            strict_accept: true,
            id_start: 1,
            clock: Clock::System,
            on_duplicate_login: OnDuplicateLogin::Reject,
            licenses_available: [None; 3],
        }
    }
}

impl Settings {
    /// These settings with every setting the scenario gives taking precedence.
    pub(crate) fn overlay(&self, s: &ScenarioSettings) -> Settings {
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

/// Everything a server needs to run. Build it with [`Config::default`] or
/// [`Config::from_args`] and adjust it with the setters.
#[derive(Clone, Debug)]
pub struct Config {
    bind: IpAddr,
    port: u16,
    port_file: Option<PathBuf>,
    schemas: Arc<Schemas>,
    settings: Settings,
    limits: Limits,
    admin: AdminAccess,
    tls: Option<Tls>,
    scenarios: Vec<Arc<Scenario>>,
    active: String,
    /// The files schemas and scenarios were read from, for reloads.
    sources: Sources,
    reload_state: ReloadState,
    log_bodies: bool,
}

/// The files a configuration's schemas and scenarios come from (`--schemas`, `--scenarios`,
/// `--scenario`, `--active`). A reload reads them again.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sources {
    /// Folder of `*.schema.json` replacing the embedded schemas.
    pub schemas: Option<PathBuf>,
    /// Folder of scenario files.
    pub scenarios: Option<PathBuf>,
    /// One scenario file, made active.
    pub scenario: Option<PathBuf>,
    /// The scenario active at start.
    pub active: Option<String>,
}

impl Sources {
    /// The paths a file watcher should watch.
    pub fn paths(&self) -> Vec<PathBuf> {
        [&self.schemas, &self.scenarios, &self.scenario]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }
}

/// How the last reload went, for `GET /__admin/health`.
#[derive(Clone, Debug)]
pub(crate) struct ReloadReport {
    /// Every file loaded and the new set is in force.
    pub ok: bool,
    /// What failed, naming the file.
    pub error: Option<String>,
    /// `watch`, `SIGHUP` or `api`.
    pub trigger: &'static str,
    /// When, wall-clock milliseconds.
    pub at_ms: u64,
}

/// Who may use the admin API (`/__admin`), besides the cross-site check that always applies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct AdminAccess {
    /// Required on every admin request but `GET /__admin/health`.
    pub token: Option<String>,
    /// `Host` names accepted besides loopback names and the bound address; `*` is any.
    pub hosts: Vec<String>,
    /// The token was generated because the server listens beyond loopback without one.
    pub generated: bool,
}

/// A token nobody can guess: 128 bits from the operating system's randomness (the seeds of
/// `RandomState`).
fn random_token() -> String {
    use std::hash::{BuildHasher, RandomState};
    let (a, b) = (
        RandomState::new().hash_one(1u8),
        RandomState::new().hash_one(2u8),
    );
    format!("{a:016x}{b:016x}")
}

impl Default for Config {
    /// Embedded schemas and `default` scenario, default settings, `127.0.0.1:8080`.
    fn default() -> Self {
        let schemas =
            Schemas::embedded().expect("embedded schemas compile; the test suite proves it");
        let default = Scenario::embedded_default(&schemas)
            .expect("the embedded default scenario loads; tested");
        Config {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: cli::DEFAULT_PORT,
            port_file: None,
            schemas: Arc::new(schemas),
            settings: Settings::default(),
            limits: Limits::default(),
            admin: AdminAccess::default(),
            tls: None,
            scenarios: vec![Arc::new(default)],
            active: "default".into(),
            sources: Sources::default(),
            reload_state: ReloadState::Keep,
            log_bodies: false,
        }
    }
}

impl Config {
    /// Validates the command line and loads every file it names.
    ///
    /// # Errors
    /// A [`StartupError`] naming the flag or file and the problem.
    pub fn from_args(args: &ServeArgs) -> Result<Self, StartupError> {
        let sources = Sources {
            schemas: args.schemas.clone(),
            scenarios: args.scenarios.clone(),
            scenario: args.scenario.clone(),
            active: args.active.clone(),
        };
        let schemas = load_schemas(sources.schemas.as_deref())?;
        let clock = match &args.clock {
            Some(text) => Clock::Frozen(Timestamp::parse_rfc3339(text)?),
            None => Clock::System,
        };
        let mut config = Config {
            bind: args.bind,
            port: args.port,
            port_file: args.port_file.clone(),
            settings: Settings {
                locale: args.locale,
                // `--lenient-accept` wins over `--strict-accept` (clap refuses both on the command
                // line; from the environment the lenient one is the deliberate choice).
                strict_accept: !args.lenient_accept && args.strict_accept.unwrap_or(true),
                id_start: args.id_start,
                clock,
                ..Settings::default()
            },
            limits: limits_of(args),
            tls: tls_of(args)?,
            admin: AdminAccess {
                generated: false,
                token: args.admin_token.clone().filter(|t| !t.is_empty()),
                hosts: args
                    .admin_hosts
                    .iter()
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect(),
            },
            scenarios: Vec::new(),
            active: "default".into(),
            schemas: Arc::new(schemas),
            sources,
            reload_state: args.reload_state,
            log_bodies: args.log_bodies,
        };
        // Beyond loopback the admin API always needs a token: the caller's, or a fresh one
        // the binary prints.
        if !config.bind.is_loopback() && config.admin.token.is_none() {
            config.admin.token = Some(random_token());
            config.admin.generated = true;
        }
        config.load_scenarios()?;
        Ok(config)
    }

    /// This configuration with its schema and scenario files read again (a reload). Nothing
    /// else changes; a file that fails to load fails the whole reload.
    ///
    /// # Errors
    /// A [`StartupError`] naming the file and the problem.
    pub fn reloaded(&self) -> Result<Config, StartupError> {
        let mut config = self.clone();
        config.schemas = Arc::new(load_schemas(self.sources.schemas.as_deref())?);
        config.load_scenarios()?;
        Ok(config)
    }

    /// The files this configuration was read from.
    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    /// Reads schemas and scenarios from these files (and from them again on a reload).
    ///
    /// # Errors
    /// A file that fails to load, as at startup.
    pub fn set_sources(&mut self, sources: Sources) -> Result<(), StartupError> {
        self.sources = sources;
        self.schemas = Arc::new(load_schemas(self.sources.schemas.as_deref())?);
        self.load_scenarios()
    }

    /// What a reload does to users (default: keep them).
    pub fn set_reload_state(&mut self, state: ReloadState) {
        self.reload_state = state;
    }

    pub(crate) fn reload_state(&self) -> ReloadState {
        self.reload_state
    }

    /// Add request bodies (secrets redacted) to request log lines.
    pub fn set_log_bodies(&mut self, on: bool) {
        self.log_bodies = on;
    }

    pub(crate) fn log_bodies(&self) -> bool {
        self.log_bodies
    }

    /// The embedded `default` and the scenario files of the sources, checked as at startup.
    fn load_scenarios(&mut self) -> Result<(), StartupError> {
        self.scenarios = vec![Arc::new(Scenario::embedded_default(&self.schemas)?)];
        self.active = "default".into();
        let mut set = ScenarioSet::default();
        if let Some(dir) = &self.sources.scenarios {
            for path in json_files(dir, "--scenarios")? {
                set.add(Scenario::from_file(&path, &self.schemas)?, path)?;
            }
        }
        if let Some(file) = &self.sources.scenario {
            let loaded = Scenario::from_file(file, &self.schemas)?;
            self.active = loaded.name().to_owned();
            set.add(loaded, file.clone())?;
        }
        for scenario in set.into_scenarios() {
            self.add_scenario(scenario)?;
        }
        if let Some(active) = self.sources.active.clone() {
            self.set_active(&active)?;
        }
        Ok(())
    }

    /// Listens on this address (default `127.0.0.1`).
    pub fn set_bind(&mut self, bind: IpAddr) {
        self.bind = bind;
    }

    /// Listens on this port; 0 lets the OS pick (default 8080).
    pub fn set_port(&mut self, port: u16) {
        self.port = port;
    }

    /// Validation messages in this language.
    pub fn set_locale(&mut self, locale: Locale) {
        self.settings.locale = locale;
    }

    /// Real time, or a frozen instant for byte-for-byte reproducible answers.
    pub fn set_clock(&mut self, clock: Clock) {
        self.settings.clock = clock;
    }

    /// Answer clients that do not ask for JSON as Laravel does (302 for a failed validation,
    /// HTML error pages; the default), or with JSON always (`false`, `--lenient-accept`).
    pub fn set_strict_accept(&mut self, strict: bool) {
        self.settings.strict_accept = strict;
    }

    /// The first user id.
    pub fn set_id_start(&mut self, id_start: u64) {
        self.settings.id_start = id_start;
    }

    /// Every bound at once (sizes, counts, bytes, timeouts).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// The bounds in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Bodies over this many bytes get 413.
    pub fn set_max_body_bytes(&mut self, bytes: usize) {
        self.limits.max_body_bytes = bytes.max(1);
    }

    /// Most users (active and soft-deleted) one session holds.
    pub fn set_max_users(&mut self, users: usize) {
        self.limits.max_users = users.max(1);
    }

    /// Most journal entries the default session keeps.
    pub fn set_journal_capacity(&mut self, entries: usize) {
        self.limits.journal_capacity = entries;
    }

    /// Most journal entries each named session keeps.
    pub fn set_session_journal_capacity(&mut self, entries: usize) {
        self.limits.session_journal_capacity = entries;
    }

    /// Most sessions besides `default`.
    pub fn set_max_sessions(&mut self, sessions: usize) {
        self.limits.max_sessions = sessions;
    }

    /// Serve HTTPS with this certificate (`None`: plain HTTP, the default).
    ///
    /// # Errors
    /// The certificate or key cannot be read, generated or used.
    pub fn set_tls(&mut self, source: Option<TlsSource>) -> Result<(), StartupError> {
        self.tls = source.as_ref().map(Tls::load).transpose()?;
        Ok(())
    }

    /// Whether the server speaks HTTPS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    pub(crate) fn tls(&self) -> Option<&Tls> {
        self.tls.as_ref()
    }

    /// Require this token on admin requests (`None`: no token).
    pub fn set_admin_token(&mut self, token: Option<String>) {
        self.admin.token = token.filter(|t| !t.is_empty());
    }

    /// `Host` names the admin API accepts besides loopback names and the bound address
    /// (`*`: any).
    pub fn set_admin_hosts(&mut self, hosts: Vec<String>) {
        self.admin.hosts = hosts.into_iter().map(|h| h.to_ascii_lowercase()).collect();
    }

    /// Replaces the schemas. Scenarios added before keep the seed users they validated.
    pub fn set_schemas(&mut self, schemas: Schemas) {
        self.schemas = Arc::new(schemas);
    }

    /// Adds a scenario. A `default` replaces the embedded one; any other clash of names is an
    /// error.
    ///
    /// # Errors
    /// [`StartupError::DuplicateScenario`].
    pub fn add_scenario(&mut self, scenario: Scenario) -> Result<(), StartupError> {
        if let Some(existing) = self
            .scenarios
            .iter_mut()
            .find(|s| s.name() == scenario.name())
        {
            if scenario.name() == "default" {
                *existing = Arc::new(scenario);
                return Ok(());
            }
            return Err(StartupError::DuplicateScenario {
                name: scenario.name().to_owned(),
                files: "the configuration already has one".into(),
            });
        }
        self.scenarios.push(Arc::new(scenario));
        Ok(())
    }

    /// Makes a loaded scenario the one active at start (and in every new session).
    ///
    /// # Errors
    /// [`StartupError::UnknownActive`] listing the loaded names.
    pub fn set_active(&mut self, name: &str) -> Result<(), StartupError> {
        if !self.scenarios.iter().any(|s| s.name() == name) {
            return Err(StartupError::UnknownActive {
                name: name.to_owned(),
                loaded: self.scenario_names().join(", "),
            });
        }
        self.active = name.to_owned();
        Ok(())
    }

    /// The address to listen on.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.bind, self.port)
    }

    /// Where to write the real port once listening.
    pub fn port_file(&self) -> Option<&Path> {
        self.port_file.as_deref()
    }

    /// The loaded scenario names, in load order.
    pub fn scenario_names(&self) -> Vec<&str> {
        self.scenarios.iter().map(|s| s.name()).collect()
    }

    pub(crate) fn schemas(&self) -> &Schemas {
        &self.schemas
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    pub(crate) fn admin(&self) -> &AdminAccess {
        &self.admin
    }

    /// The admin token, if one was generated because the server listens beyond loopback
    /// and none was given.
    pub fn generated_admin_token(&self) -> Option<&str> {
        self.admin
            .generated
            .then_some(self.admin.token.as_deref())
            .flatten()
    }

    pub(crate) fn scenarios(&self) -> &[Arc<Scenario>] {
        &self.scenarios
    }

    /// The scenario active at start; the embedded `default` is always loaded.
    pub(crate) fn active_scenario(&self) -> Arc<Scenario> {
        self.scenarios
            .iter()
            .find(|s| s.name() == self.active)
            .or_else(|| self.scenarios.first())
            .cloned()
            .expect("a config always holds the default scenario")
    }
}
