//! The log writer: lines collected in memory and written to stderr by one background thread
//! in batches, so a request costs no system call and no thread wake-up for its line, and a
//! slow stderr never holds a request (past a bound, lines are dropped and the drop reported).

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

/// Most bytes of log lines waiting for the writer thread; lines beyond are dropped (and
/// counted in a line of their own) rather than memory grown when stderr is slow.
const MAX_PENDING: usize = 1 << 20;
/// Waiting lines are written at least this often...
const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// ...or as soon as this many bytes wait.
const FLUSH_AT: usize = 64 << 10;
/// How long shutdown waits for the last lines to be written: a stderr nobody reads (a full
/// pipe) loses them rather than holding the process forever.
const FINAL_WRITE: Duration = Duration::from_secs(1);

/// Log lines collected in memory and written by a background thread in batches: a request
/// costs no system call and no thread wake-up for its line. (`tracing-appender`'s
/// non-blocking writer woke its thread, which spun with `sched_yield`, once per line: two
/// system calls per request on the server's CPU, a quarter of its throughput.)
pub(super) struct Batch {
    pub(super) shared: Arc<Shared>,
}

pub(super) struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    dropped: u64,
    stopping: bool,
    /// The writer thread has written its last batch.
    done: bool,
}

/// Stops the writer thread once it has written every waiting line.
pub(super) struct BatchGuard {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Batch {
    pub(super) fn start(mut out: impl Write + Send + 'static) -> (Batch, BatchGuard) {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
        });
        let writer = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || {
                let mut batch = Vec::new();
                loop {
                    let stopping = {
                        let mut pending = writer.pending.lock();
                        if pending.bytes.is_empty() && !pending.stopping {
                            writer.wake.wait_for(&mut pending, FLUSH_EVERY);
                        }
                        std::mem::swap(&mut batch, &mut pending.bytes);
                        if pending.dropped > 0 {
                            let note = format!(
                                "{} log lines dropped: stderr did not keep up\n",
                                std::mem::take(&mut pending.dropped)
                            );
                            batch.extend_from_slice(note.as_bytes());
                        }
                        pending.stopping
                    };
                    // A closed or failing stderr loses log lines, never a request.
                    let _ = out.write_all(&batch).and_then(|()| out.flush());
                    batch.clear();
                    if batch.capacity() > FLUSH_AT * 4 {
                        batch = Vec::new();
                    }
                    if stopping {
                        writer.pending.lock().done = true;
                        writer.wake.notify_all();
                        return;
                    }
                }
            });
        let guard = BatchGuard {
            shared: Arc::clone(&shared),
            thread: thread.ok(),
        };
        (Batch { shared }, guard)
    }
}

/// One log line's way into the batch.
pub(super) struct BatchLine<'a>(pub(super) &'a Shared);

impl Write for BatchLine<'_> {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut pending = self.0.pending.lock();
        if pending.bytes.len() + line.len() > MAX_PENDING {
            pending.dropped += 1;
        } else {
            pending.bytes.extend_from_slice(line);
            if pending.bytes.len() >= FLUSH_AT {
                self.0.wake.notify_one();
            }
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Batch {
    type Writer = BatchLine<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        BatchLine(&self.shared)
    }
}

impl Drop for BatchGuard {
    fn drop(&mut self) {
        let deadline = std::time::Instant::now() + FINAL_WRITE;
        let mut pending = self.shared.pending.lock();
        pending.stopping = true;
        self.shared.wake.notify_all();
        while !pending.done {
            if self
                .shared
                .wake
                .wait_until(&mut pending, deadline)
                .timed_out()
            {
                // Blocked on stderr: the thread is left to the process's exit.
                return;
            }
        }
        drop(pending);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A writer tests read after the batch thread wrote to it.
#[cfg(test)]
#[derive(Clone, Default)]
pub(super) struct Collected(pub(super) Arc<Mutex<Vec<u8>>>);

#[cfg(test)]
impl Write for Collected {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batched_lines_are_all_written_in_order_by_the_time_the_guard_is_dropped() {
        use tracing_subscriber::fmt::MakeWriter;
        let out = Collected::default();
        let (batch, guard) = Batch::start(out.clone());
        for i in 0..1000 {
            writeln!(batch.make_writer(), "line {i}").unwrap();
        }
        drop(guard);
        let text = String::from_utf8(out.0.lock().clone()).unwrap();
        let expected: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        assert_eq!(text, expected);
    }

    #[test]
    fn lines_beyond_the_pending_bound_are_dropped_and_reported() {
        use tracing_subscriber::fmt::MakeWriter;
        // A writer that blocks until released, so lines pile up.
        struct Gate(Arc<Mutex<()>>, Collected);
        impl Write for Gate {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                let _open = self.0.lock();
                self.1.write(bytes)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let gate = Arc::new(Mutex::new(()));
        let out = Collected::default();
        let closed = gate.lock();
        let (batch, guard) = Batch::start(Gate(Arc::clone(&gate), out.clone()));
        let line = vec![b'x'; 1023];
        for _ in 0..3000 {
            let mut w = batch.make_writer();
            w.write_all(&line).unwrap();
            w.write_all(b"\n").unwrap();
        }
        drop(closed);
        drop(guard);
        let text = String::from_utf8(out.0.lock().clone()).unwrap();
        let kept = text.lines().filter(|l| l.starts_with('x')).count();
        assert!((1024..3000).contains(&kept), "kept {kept}");
        assert!(
            text.contains(" log lines dropped: stderr did not keep up"),
            "no drop note"
        );
    }

    #[test]
    fn a_stderr_nobody_reads_does_not_hold_shutdown() {
        use tracing_subscriber::fmt::MakeWriter;
        // A writer that never returns while the test holds its gate.
        struct Stuck(Arc<Mutex<()>>);
        impl Write for Stuck {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                let _open = self.0.lock();
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let gate = Arc::new(Mutex::new(()));
        let closed = gate.lock();
        let (batch, guard) = Batch::start(Stuck(Arc::clone(&gate)));
        writeln!(batch.make_writer(), "a line stderr never takes").unwrap();
        // Let the writer thread take the line and block on it.
        std::thread::sleep(FLUSH_EVERY * 3);
        let (sent, stopped) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            drop(guard);
            let _ = sent.send(());
        });
        let stopped = stopped.recv_timeout(Duration::from_secs(30));
        drop(closed);
        assert!(
            stopped.is_ok(),
            "dropping the guard waited on a blocked stderr"
        );
    }
}
