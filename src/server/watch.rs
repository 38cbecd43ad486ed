//! Reloading schema and scenario files while serving: on demand (SIGHUP, or a call), and on
//! change with `--watch` (the `notify` crate).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use crate::error::StartupError;
use crate::pipeline::AppState;

/// Editors write a file in several steps (truncate, write, rename): changes closer together
/// than this are one reload.
const SETTLE: Duration = Duration::from_millis(200);

/// Reloads a running server's files. Cheap to clone.
#[derive(Clone)]
pub struct Reloader {
    pub(super) state: Arc<AppState>,
}

impl Reloader {
    /// Reads the schema and scenario files again; if all load, every session follows them
    /// (users kept unless `--reload-state reset`). A failure is logged, reported by
    /// `GET /__admin/health`, and leaves the previous files in force.
    ///
    /// # Errors
    /// The file and the problem.
    pub fn reload(&self, trigger: &'static str) -> Result<(), StartupError> {
        self.state.reload(trigger)
    }

    /// Starts watching the configured schema and scenario files; changes reload them. The
    /// watch lasts as long as the returned guard.
    ///
    /// # Errors
    /// When the operating system refuses the watch.
    pub fn watch(&self) -> Result<FileWatch, StartupError> {
        let sources = self.state.sources();
        let watched: Vec<PathBuf> = sources.iter().map(|p| absolute(p)).collect();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
        let relevant = watched.clone();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let Ok(event) = event else { return };
                let touches = event.paths.iter().any(|changed| {
                    relevant.iter().any(|source| {
                        changed == source || changed.parent() == Some(source.as_path())
                    })
                });
                if touches && !matches!(event.kind, notify::EventKind::Access(_)) {
                    let _ = tx.send(());
                }
            })
            .map_err(|e| StartupError::Watch(e.to_string()))?;
        // Folders are watched themselves; a file by its folder, as editors replace files.
        let mut folders: Vec<PathBuf> = watched
            .iter()
            .map(|p| {
                if p.is_dir() {
                    p.clone()
                } else {
                    p.parent().map_or_else(|| p.clone(), Path::to_owned)
                }
            })
            .collect();
        folders.sort();
        folders.dedup();
        for folder in &folders {
            watcher
                .watch(folder, RecursiveMode::NonRecursive)
                .map_err(|e| StartupError::Watch(format!("{}: {e}", folder.display())))?;
        }
        let reloader = self.clone();
        let task = tokio::spawn(async move {
            while rx.recv().await.is_some() {
                tokio::time::sleep(SETTLE).await;
                while rx.try_recv().is_ok() {}
                let _ = reloader.reload("watch");
            }
        });
        Ok(FileWatch {
            _watcher: watcher,
            task,
        })
    }
}

/// A running file watch; dropping it stops watching.
pub struct FileWatch {
    _watcher: notify::RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FileWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}
