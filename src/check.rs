//! `vms-billing-mock check [FILES...]`: validate schema and scenario files without serving.
//!
//! Every file is checked and reported (`ok: PATH` on stdout, `error: PATH: problem` on
//! stderr); the exit code is non-zero when any file is broken.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::scenario;
use crate::validation::{Schemas, check_schema_document, read_schema_file};

/// Checks `files` (folders are walked for `*.json`), or with no files the schemas the server
/// would start with. Returns the process exit code.
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
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    // Scenarios are checked against the schemas the server would use (their seed users are
    // validated), so `--schemas` matters here too.
    let schemas = match &serve.schemas {
        Some(dir) => Schemas::load_dir(dir),
        None => Schemas::embedded(),
    };
    let schemas = match schemas {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut failed = false;
    for path in expand(files) {
        match check_file(&path, &schemas) {
            Ok(()) => println!("ok: {}", path.display()),
            Err(message) => {
                eprintln!("error: {message}");
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

/// Checks one file; the error names the file.
///
/// # Errors
/// The file, the place and the problem, as one line.
pub fn check_file(path: &Path, schemas: &Schemas) -> Result<(), String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if name.ends_with(".schema.json") {
        let document = read_schema_file(path).map_err(|e| e.to_string())?;
        return check_schema_document(path, document).map_err(|e| e.to_string());
    }
    scenario::load_file(path, schemas)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn expand(files: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in files {
        match std::fs::read_dir(path) {
            Ok(entries) => {
                let mut found: Vec<PathBuf> = entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "json"))
                    .collect();
                found.sort();
                out.extend(found);
            }
            Err(_) => out.push(path.clone()),
        }
    }
    out
}
