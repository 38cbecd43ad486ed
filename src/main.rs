//! The `vms-billing-mock` binary: parse the command line, then serve or check files.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use vms_billing_mock::cli::{Cli, Command};
use vms_billing_mock::{Config, Server, StartupError};

// mimalloc: the request path allocates small objects at a high rate; glibc's malloc spent
// about a sixth of the CPU time in benches/load.sh (see README, Performance).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Check { files }) => vms_billing_mock::check::run(&files, &cli.serve),
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
    let config = Config::from_args(&cli.serve)?;
    let runtime = vms_billing_mock::runtime()
        .map_err(|e| StartupError::Setting(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let port_file = config.port_file.clone();
        let server = Server::bind(config).await?;
        let addr = server
            .local_addr()
            .map_err(|e| StartupError::Setting(format!("cannot read the bound address: {e}")))?;
        if let Some(path) = port_file {
            write_port_file(&path, addr.port())
                .map_err(|source| StartupError::PortFile { path, source })?;
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{addr}");
        let _ = out.flush();
        drop(out);
        server.run(shutdown_signal()).await;
        Ok(())
    })
}

/// Writes the port atomically (temp file, then rename), so a CI script polling for the
/// file never reads it half-written.
fn write_port_file(path: &std::path::Path, port: u16) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, format!("{port}\n"))?;
    std::fs::rename(&tmp, path)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
