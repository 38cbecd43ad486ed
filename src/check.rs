//! `vms-billing-mock check [FILES...]`: validate schema files without serving.
//!
//! Every file is checked and reported (`ok: PATH` on stdout, `error: PATH: problem` on
//! stderr); the exit code is non-zero when any file is broken.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::validation::{check_schema_document, read_schema_file};

/// Checks `files` (folders are walked for `*.json`), or with no files the schemas the server
/// would start with. Returns the process exit code.
pub fn run(files: &[PathBuf], serve: &ServeArgs) -> ExitCode {
    if files.is_empty() {
        return match Config::from_args(serve) {
            Ok(_) => {
                println!("ok: the configured schemas compile");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let mut failed = false;
    for path in expand(files) {
        match check_file(&path) {
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
pub fn check_file(path: &Path) -> Result<(), String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if name.ends_with(".schema.json") {
        let document = read_schema_file(path).map_err(|e| e.to_string())?;
        return check_schema_document(path, document).map_err(|e| e.to_string());
    }
    Err(format!(
        "{}: not a schema file: expected a name ending in .schema.json",
        path.display()
    ))
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
