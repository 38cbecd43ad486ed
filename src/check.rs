//! `vms-billing-mock check [FILES...]`: validate schema and scenario files without serving,
//! by the very loading functions startup uses.
//!
//! Every file is checked and reported (`ok: PATH` on stdout, `error: PATH: problem` on
//! stderr); the exit code is non-zero when any file is broken.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::ServeArgs;
use crate::config::{self, Config, ScenarioSet};
use crate::error::StartupError;
use crate::scenario::Scenario;
use crate::validation::check_schema_file;

/// Checks `files` (folders are walked for `*.json`), or with no files what the server would
/// start with. Returns the process exit code.
pub fn run(files: &[PathBuf], serve: &ServeArgs) -> ExitCode {
    if files.is_empty() {
        return match Config::from_args(serve) {
            Ok(config) => {
                println!(
                    "ok: the configured schemas compile and scenarios load ({})",
                    config.scenario_names().join(", ")
                );
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        };
    }
    // Scenarios are checked against the schemas the server would use (their seed users are
    // validated), so `--schemas` matters here too.
    let schemas = match config::load_schemas(serve.schemas.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let mut failed = false;
    let mut scenarios = ScenarioSet::default();
    for path in expand(files, &mut failed) {
        let checked = if is_schema(&path) {
            check_schema_file(&path).map_err(StartupError::from)
        } else {
            Scenario::from_file(&path, &schemas)
                .map_err(StartupError::from)
                .and_then(|s| scenarios.add(s, path.clone()))
        };
        match checked {
            Ok(()) => println!("ok: {}", path.display()),
            Err(e) => {
                eprintln!("error: {}", with_path(&e, &path));
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn fail(e: &StartupError) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::FAILURE
}

fn is_schema(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".schema.json"))
}

/// An error that does not name its file (a duplicate name names both) gets the path first.
fn with_path(e: &StartupError, path: &Path) -> String {
    match e {
        StartupError::DuplicateScenario { .. } => format!("{}: {e}", path.display()),
        _ => e.to_string(),
    }
}

/// Folders become their `*.json` files, sorted, as `--scenarios` and `--schemas` list them.
fn expand(files: &[PathBuf], failed: &mut bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in files {
        if path.is_dir() {
            match config::json_files(path, "check") {
                Ok(found) => out.extend(found),
                Err(e) => {
                    eprintln!("error: {e}");
                    *failed = true;
                }
            }
        } else {
            out.push(path.clone());
        }
    }
    out
}
