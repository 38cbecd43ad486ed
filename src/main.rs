//! The `vms-billing-mock` binary: parse the command line, then serve or check files.
//!
//! Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM) or a passing `check`; 1 for a
//! startup error or a failing `check`; 2 for a usage error (clap).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use vms_billing_mock::{Cli, Command, Config, Server, StartupError};

// mimalloc: the request path allocates small objects at a high rate; glibc's malloc spent
// about a sixth of the CPU time in benches/load.sh (see benches/README.md). Not a module of
// the library, which forbids `unsafe`.
#[path = "allocator.rs"]
mod allocator;

#[global_allocator]
static GLOBAL: allocator::MiMalloc = allocator::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Check { files }) => vms_billing_mock::check(files, &cli.serve),
        Some(Command::Health) => vms_billing_mock::health(&cli.serve),
        Some(Command::Tail(args)) => vms_billing_mock::tail(args, &cli.serve),
        Some(Command::Openapi) => vms_billing_mock::print_openapi(&cli.serve),
        None => match serve(&cli) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn serve(cli: &Cli) -> Result<(), StartupError> {
    // Held until the end: dropping it flushes the queued log lines.
    let _log = vms_billing_mock::init_logging(cli.serve.log_format, &cli.serve.log_level)?;
    let config = Config::from_args(&cli.serve)?;
    let port_file = config.port_file().map(Path::to_owned);
    if let Some(path) = &port_file {
        // A stale file from an earlier run must not look like readiness.
        remove_if_present(path).map_err(|source| StartupError::PortFile {
            path: path.clone(),
            source,
        })?;
    }
    let runtime = vms_billing_mock::runtime().map_err(StartupError::Runtime)?;
    runtime.block_on(async {
        // The handlers exist before anything says "ready": a SIGTERM that lands right after
        // the port file appears is a clean shutdown, not a kill.
        let shutdown = signals::install().map_err(StartupError::Signals)?;
        let tls = config.is_tls();
        if let Some(token) = config.generated_admin_token() {
            tracing::warn!(
                "listening beyond loopback, so the admin API needs a token: {token} \
                 (Authorization: Bearer TOKEN); choose your own with --admin-token or VMS_MOCK_ADMIN_TOKEN"
            );
        }
        let scenarios = config.scenario_names().join(",");
        let server = Server::bind(config).await?;
        // Forgotten after the run, never dropped: the process's exit returns the memory of
        // every stored user and journal entry at once. Freeing them one by one took most of
        // the exit after a long run: 60-100 ms for 200,000 users, now 20-30 ms
        // (benches/README.md, sixth pass).
        let everything = server.reloader();
        let reloader = server.reloader();
        let _watch = if cli.serve.watch {
            Some(reloader.watch()?)
        } else {
            None
        };
        signals::on_hangup(move || {
            // Logged and reported by the reload itself.
            let _ = reloader.reload("SIGHUP");
        })
        .map_err(StartupError::Signals)?;
        let addr = server.local_addr();
        if let Some(path) = &port_file {
            write_port_file(path, addr.port()).map_err(|source| StartupError::PortFile {
                path: path.clone(),
                source,
            })?;
        }
        let mut out = std::io::stdout().lock();
        let scheme = if tls { "https" } else { "http" };
        let _ = writeln!(out, "listening on {scheme}://{addr}");
        let _ = out.flush();
        drop(out);
        let local = if addr.ip().is_unspecified() {
            std::net::SocketAddr::from(([127, 0, 0, 1], addr.port()))
        } else {
            addr
        };
        let dashboard = format!("{scheme}://{local}/__admin/ui");
        tracing::info!(%addr, tls, scenarios, watch = cli.serve.watch, %dashboard, "listening");
        server.run(shutdown).await;
        std::mem::forget(everything);
        tracing::info!("stopped");
        if let Some(path) = &port_file {
            let _ = remove_if_present(path);
        }
        Ok(())
    })
}

fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Writes the port atomically: a fresh temporary file (created exclusively, so a symlink
/// planted at its name is not followed), then a rename over the target. A CI script polling
/// for the file never reads it half-written.
fn write_port_file(path: &Path, port: u16) -> std::io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("port");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    remove_if_present(&tmp)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    writeln!(file, "{port}")?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}

mod signals {
    use std::future::Future;

    /// Installs the SIGINT and SIGTERM handlers now and returns the future that completes
    /// on the first of them.
    #[cfg(unix)]
    pub(super) fn install() -> std::io::Result<impl Future<Output = ()>> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
    }

    /// Calls `reload` on every SIGHUP, from a task of the current runtime.
    #[cfg(unix)]
    pub(super) fn on_hangup(reload: impl Fn() + Send + 'static) -> std::io::Result<()> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hup = signal(SignalKind::hangup())?;
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                reload();
            }
        });
        Ok(())
    }

    #[cfg(not(unix))]
    pub(super) fn on_hangup(_reload: impl Fn() + Send + 'static) -> std::io::Result<()> {
        Ok(())
    }

    #[cfg(not(unix))]
    pub(super) fn install() -> std::io::Result<impl Future<Output = ()>> {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
