//! Reading what the flags name: schema folders, scenario files, TLS material, limits. The
//! server and `check` share these, so `check` refuses exactly what startup refuses.

use std::path::{Path, PathBuf};

use crate::cli::ServeArgs;
use crate::error::StartupError;
use crate::limits::Limits;
use crate::scenario::Scenario;
use crate::tls::{Tls, TlsSource};
use crate::validation::Schemas;

/// HTTPS as the command line asks for it: `--tls-cert`/`--tls-key`, or `--tls`.
pub(super) fn tls_of(args: &ServeArgs) -> Result<Option<Tls>, StartupError> {
    let source = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => TlsSource::Files {
            cert: cert.clone(),
            key: key.clone(),
        },
        _ if args.tls => TlsSource::SelfSigned {
            names: args.tls_names.clone(),
            cert_out: args.tls_cert_out.clone(),
        },
        _ => return Ok(None),
    };
    Ok(Some(Tls::load(&source)?))
}

/// The bounds the command line asks for (clap has checked their ranges).
pub(super) fn limits_of(args: &ServeArgs) -> Limits {
    let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let ms = std::time::Duration::from_millis;
    Limits {
        max_body_bytes: size(args.max_body_bytes),
        max_users: size(args.max_users),
        max_store_bytes: size(args.max_store_bytes),
        journal_capacity: size(args.journal_capacity),
        session_journal_capacity: size(args.session_journal_capacity),
        journal_bytes: size(args.journal_bytes),
        session_journal_bytes: size(args.session_journal_bytes),
        max_sessions: size(args.max_sessions),
        max_inflight_bytes: size(args.max_inflight_bytes),
        max_header_bytes: size(args.max_header_bytes),
        max_connections: size(args.max_connections),
        header_timeout: ms(args.header_timeout_ms),
        body_timeout: ms(args.body_timeout_ms),
        idle_timeout: ms(args.idle_timeout_ms),
    }
}

/// The schemas a `--schemas` folder gives (the embedded ones without it).
///
/// # Errors
/// The folder or file and the problem.
pub(crate) fn load_schemas(dir: Option<&Path>) -> Result<Schemas, StartupError> {
    match dir {
        Some(dir) => Schemas::load_dir(dir),
        None => Ok(Schemas::embedded()?),
    }
}

impl Schemas {
    /// The embedded schemas, with each `*.json` of `dir` replacing its counterpart, as
    /// `--schemas DIR` loads them. A file whose name matches no endpoint is an error.
    ///
    /// # Errors
    /// The folder or file and the problem.
    pub fn load_dir(dir: &Path) -> Result<Schemas, StartupError> {
        Ok(Schemas::from_files(&json_files(dir, "--schemas")?)?)
    }
}

/// Scenarios being loaded from files: names must be unique, and a clash names both files.
#[derive(Default)]
pub(crate) struct ScenarioSet {
    loaded: Vec<(Scenario, PathBuf)>,
}

impl ScenarioSet {
    /// Adds a scenario read from `path`.
    ///
    /// # Errors
    /// [`StartupError::DuplicateScenario`] naming both files.
    pub(crate) fn add(&mut self, scenario: Scenario, path: PathBuf) -> Result<(), StartupError> {
        if let Some((_, first)) = self
            .loaded
            .iter()
            .find(|(s, _)| s.name() == scenario.name())
        {
            return Err(StartupError::DuplicateScenario {
                name: scenario.name().to_owned(),
                files: format!("{} and {}", first.display(), path.display()),
            });
        }
        self.loaded.push((scenario, path));
        Ok(())
    }

    pub(super) fn into_scenarios(self) -> impl Iterator<Item = Scenario> {
        self.loaded.into_iter().map(|(s, _)| s)
    }
}

/// The `*.json` files of a folder, sorted; `flag` names the option in errors.
///
/// # Errors
/// When the folder cannot be read.
pub(crate) fn json_files(dir: &Path, flag: &'static str) -> Result<Vec<PathBuf>, StartupError> {
    let io = |source| StartupError::Folder {
        flag,
        path: dir.to_owned(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
