//! The validated configuration a server runs with, built from the command line or in code.
//!
//! Loads and compiles schemas eagerly, so a broken file fails at start, not at the first
//! request.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;

use crate::cli::ServeArgs;
use crate::clock::{Clock, Timestamp};
use crate::error::StartupError;
use crate::validation::{Locale, Schemas};

/// Behaviour settings that a scenario may also set (CONTRACT section 5).
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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            locale: Locale::En,
            strict_accept: false,
            id_start: 1,
            clock: Clock::System,
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
    /// Behaviour settings.
    pub settings: Settings,
    /// Largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// Most users (active and soft-deleted) one store holds.
    pub max_users: usize,
}

/// Default `--max-body-bytes`: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;
/// Default `--max-users`.
pub const DEFAULT_MAX_USERS: usize = 2_000_000;

impl Default for Config {
    /// Embedded schemas, default settings, `127.0.0.1:8080`.
    fn default() -> Self {
        Config {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            port_file: None,
            schemas: Arc::new(
                Schemas::embedded().expect("embedded schemas compile; the test suite proves it"),
            ),
            settings: Settings::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_users: DEFAULT_MAX_USERS,
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
        if args.max_body_bytes == 0 {
            return Err(StartupError::Setting(
                "--max-body-bytes must be at least 1".into(),
            ));
        }
        if args.max_users == 0 {
            return Err(StartupError::Setting(
                "--max-users must be at least 1".into(),
            ));
        }
        Ok(Config {
            bind: args.bind,
            port: args.port,
            port_file: args.port_file.clone(),
            schemas: Arc::new(schemas),
            settings: Settings {
                locale: args.locale,
                strict_accept: args.strict_accept,
                id_start: args.id_start,
                clock,
            },
            max_body_bytes: args.max_body_bytes,
            max_users: args.max_users,
        })
    }
}
