//! The log writer: lines collected in memory and written to stderr by one background thread
//! in batches, so a request costs no system call for its line (and no thread wake-up but for
//! the first line of a batch), an idle mock wakes no thread, and a slow stderr never holds a
//! request (past a bound, lines are dropped and the drop reported).
//!
//! When stderr is a pipe, the writer grows it to 256 KiB and never fills it: it writes only
//! while the pipe is far from full ([`stderr_room`]) and otherwise waits for the reader, as
//! it would blocked in `write`. A pipe nobody reads (a supervisor that only wanted stdout's
//! `listening on` line) then still takes the last words of whatever shares it: valgrind's
//! summary at exit, which blocked forever on a pipe the mock had filled and lost the
//! callgrind profile (`../shared/perf/instr.py` with default flags), a wrapper's `echo`.

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
/// How long shutdown waits for the last lines to be written: a stderr nobody reads loses
/// them rather than holding the process forever.
const FINAL_WRITE: Duration = Duration::from_secs(1);

/// How soon the writer looks again at a pipe that had no room (doubling, up to
/// [`FLUSH_EVERY`], while the reader takes nothing): a reader that keeps up waits for lines
/// no more than a millisecond.
const RETRY_FIRST: Duration = Duration::from_millis(1);

/// How many bytes the writer may write now without blocking; `None` when it cannot tell (a
/// terminal, a file, another platform), and then it writes and lets `write` wait.
pub(super) type Room = Box<dyn FnMut() -> Option<usize> + Send>;

/// What a stderr pipe is grown to, when it is smaller: four times Linux's default. Its
/// pages are taken only as lines fill them, but Linux counts the size against the user's
/// pipe quota (`/proc/sys/fs/pipe-user-pages-soft`, 64 MiB), so not more: 256 mocks of one
/// user fit in it.
#[cfg(target_os = "linux")]
const PIPE_SIZE: usize = 256 << 10;

/// [`Room`] for stderr: when it is a pipe (Linux), how much more it takes while at least
/// two of its page slots stay free for other writers; otherwise `None`.
///
/// The pipe is first grown to [`PIPE_SIZE`]: with Linux's default 64 KiB, keeping slots
/// free would leave 24 KiB for lines, fewer than a client that reads stderr only once the
/// mock has exited used to find there; at 256 KiB it is 120 KiB. If the pipe cannot grow,
/// the room is counted in the size it has.
pub(super) fn stderr_room() -> Room {
    #[cfg(target_os = "linux")]
    {
        let stderr = std::io::stderr();
        // Fails unless stderr is a pipe.
        let Ok(mut size) = rustix::pipe::fcntl_getpipe_size(&stderr) else {
            return Box::new(|| None);
        };
        if size < PIPE_SIZE {
            size = rustix::pipe::fcntl_setpipe_size(&stderr, PIPE_SIZE).unwrap_or(size);
        }
        let page = rustix::param::page_size();
        Box::new(move || {
            let queued = usize::try_from(rustix::io::ioctl_fionread(&stderr).ok()?).ok()?;
            pipe_room(size, page, queued)
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        Box::new(|| None)
    }
}

/// How many more bytes a pipe of `size` bytes in slots of `page` bytes, holding `queued`,
/// takes while two slots stay free. A pipe fills by slots, not bytes: a write that does not
/// fit in the last slot's free end starts a new slot, so slots can be half empty. Any two
/// neighbouring slots hold more than a page, though (or the second write would have fitted
/// in the first), so `queued` bytes take at most `2 * ceil(queued / page) + 1` slots, one
/// more for the reader's half-read slot. Keeping `queued` at most `(slots - 4) / 2` pages
/// leaves two slots free: 120 KiB of a 256 KiB pipe, 24 KiB of Linux's default 64 KiB.
/// A pipe of fewer than 8 slots (Linux gives 2 to a user past the quota) would leave too
/// little: `None`, and the writer writes and lets `write` wait, as it did before.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn pipe_room(size: usize, page: usize, queued: usize) -> Option<usize> {
    let slots = size / page.max(1);
    (slots >= 8).then(|| ((slots - 4) / 2 * page).saturating_sub(queued))
}

/// Lines longer than this go out in parts when the room is short: a pipe keeps no longer
/// write whole anyway (`PIPE_BUF`), and a line longer than the room a pipe can ever offer
/// would otherwise wait forever.
const WHOLE_LINE: usize = 4096;

/// Writes the whole lines of `bytes` that `room` allows (or part of a line longer than
/// [`WHOLE_LINE`]), and returns how many bytes are done with: written, or lost to a failing
/// stderr, which loses log lines but never holds a request.
fn write_fitting(out: &mut impl Write, bytes: &[u8], room: &mut Room) -> usize {
    if bytes.is_empty() {
        return 0;
    }
    let fits = match room() {
        Some(room) if room < bytes.len() => match memchr::memrchr(b'\n', &bytes[..room]) {
            Some(end) => end + 1,
            None if memchr::memchr(b'\n', bytes).unwrap_or(bytes.len()) >= WHOLE_LINE => room,
            None => 0,
        },
        _ => bytes.len(),
    };
    if fits > 0 {
        let _ = out.write_all(&bytes[..fits]).and_then(|()| out.flush());
    }
    fits
}

/// Log lines collected in memory and written by a background thread in batches: a request
/// costs no system call and, but for the first line of a batch, no thread wake-up for its
/// line; an idle mock's writer sleeps until a line comes. (`tracing-appender`'s
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
    /// A writer thread writing to `out` as fast as `out` takes it.
    #[cfg(test)]
    pub(super) fn start(out: impl Write + Send + 'static) -> (Batch, BatchGuard) {
        Self::start_with_room(out, Box::new(|| None))
    }

    /// A writer thread writing to `out` no more than `room` says fits at a time.
    pub(super) fn start_with_room(
        mut out: impl Write + Send + 'static,
        mut room: Room,
    ) -> (Batch, BatchGuard) {
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
                        // Nothing to write: sleep until the first line (or the stop), not
                        // on a timer, so an idle mock wakes no thread at all.
                        while pending.bytes.is_empty() && pending.dropped == 0 && !pending.stopping
                        {
                            writer.wake.wait(&mut pending);
                        }
                        // Then gather for up to FLUSH_EVERY, or until FLUSH_AT bytes.
                        if !pending.stopping && pending.bytes.len() < FLUSH_AT {
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
                    let mut written = write_fitting(&mut out, &batch, &mut room);
                    let mut pause = RETRY_FIRST;
                    while written < batch.len() {
                        // No room: wait for the reader as a blocked `write` would, lines
                        // piling up in `pending` meanwhile (up to its bound). Soon again
                        // while it reads; less and less often while it does not.
                        std::thread::sleep(pause);
                        let more = write_fitting(&mut out, &batch[written..], &mut room);
                        written += more;
                        pause = if more > 0 {
                            RETRY_FIRST
                        } else {
                            (pause * 2).min(FLUSH_EVERY)
                        };
                    }
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
            // A line too long for an empty batch: the writer, asleep, still reports it.
            if pending.bytes.is_empty() {
                self.0.wake.notify_one();
            }
        } else {
            let first = pending.bytes.is_empty();
            pending.bytes.extend_from_slice(line);
            // The first line wakes the sleeping writer, which then gathers more; under load
            // that is one wake-up per batch, not per line.
            if first || pending.bytes.len() >= FLUSH_AT {
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
impl Collected {
    /// The text written so far, once it is at least `len` bytes long (or after 10 s).
    fn text_once(&self, len: usize) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.0.lock().len() < len && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        String::from_utf8(self.0.lock().clone()).unwrap()
    }
}

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
    fn a_line_too_long_for_an_empty_batch_is_reported_without_waiting_for_another_line() {
        use tracing_subscriber::fmt::MakeWriter;
        let out = Collected::default();
        let (batch, guard) = Batch::start(out.clone());
        // One line written: the writer is then asleep, waiting for the next batch.
        batch.make_writer().write_all(b"first\n").unwrap();
        assert_eq!(out.text_once(6), "first\n");
        std::thread::sleep(FLUSH_EVERY * 3);
        batch
            .make_writer()
            .write_all(&vec![b'x'; MAX_PENDING + 1])
            .unwrap();
        let note = "1 log lines dropped: stderr did not keep up\n";
        assert_eq!(out.text_once(6 + note.len()), format!("first\n{note}"));
        drop(guard);
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
    fn a_pipe_is_never_filled_past_its_room_lines_stay_whole_and_all_arrive_once_it_drains() {
        use tracing_subscriber::fmt::MakeWriter;
        // A pipe of 1,000 bytes nobody reads until `capacity` grows.
        let capacity = Arc::new(Mutex::new(1000usize));
        let out = Collected::default();
        let room: Room = {
            let (capacity, out) = (Arc::clone(&capacity), out.clone());
            Box::new(move || Some(capacity.lock().saturating_sub(out.0.lock().len())))
        };
        let (batch, guard) = Batch::start_with_room(out.clone(), room);
        let lines: Vec<String> = (0..100)
            .map(|i| format!("line {i:03} {}\n", "x".repeat(20)))
            .collect();
        for line in &lines {
            batch.make_writer().write_all(line.as_bytes()).unwrap();
        }
        // The writer's first batch, then time for it to write more if it would.
        out.text_once(1);
        std::thread::sleep(FLUSH_EVERY * 3);
        let early = String::from_utf8(out.0.lock().clone()).unwrap();
        // 33 whole lines of 30 bytes fit in 1,000.
        assert_eq!(early, lines[..33].concat());
        *capacity.lock() = usize::MAX;
        drop(guard);
        let text = String::from_utf8(out.0.lock().clone()).unwrap();
        assert_eq!(text, lines.concat());
    }

    #[test]
    fn a_pipe_takes_up_to_half_of_its_slots_less_two_pages() {
        // Linux's default pipe: 16 slots of 4 KiB.
        assert_eq!(pipe_room(65536, 4096, 0), Some(24 << 10));
        assert_eq!(pipe_room(65536, 4096, 20 << 10), Some(4 << 10));
        assert_eq!(pipe_room(65536, 4096, 30 << 10), Some(0));
        // The pipe as the writer grows it, and one of 8 slots, the fewest it counts.
        assert_eq!(pipe_room(256 << 10, 4096, 0), Some(120 << 10));
        assert_eq!(pipe_room(8 * 4096, 4096, 0), Some(8 << 10));
        // Fewer slots (2 past the user's quota): written as any stderr.
        assert_eq!(pipe_room(7 * 4096, 4096, 0), None);
        assert_eq!(pipe_room(2 * 4096, 4096, 0), None);
    }

    #[test]
    fn a_short_room_takes_whole_lines_and_only_a_very_long_line_goes_out_in_parts() {
        let out = Collected::default();
        let mut sink = out.clone();
        let mut room: Room = Box::new(|| Some(4));
        // A short line waits for room rather than being split.
        assert_eq!(write_fitting(&mut sink, b"abcdefgh\n", &mut room), 0);
        assert_eq!(write_fitting(&mut sink, b"ab\ncdef\n", &mut room), 3);
        assert_eq!(write_fitting(&mut sink, b"", &mut room), 0);
        // A line of WHOLE_LINE bytes or more goes out as far as the room allows.
        let long = [b"y".repeat(WHOLE_LINE), b"\n".to_vec()].concat();
        assert_eq!(write_fitting(&mut sink, &long, &mut room), 4);
        // No room known: everything is written.
        let mut unknown: Room = Box::new(|| None);
        assert_eq!(write_fitting(&mut sink, b"efgh\n", &mut unknown), 5);
        assert_eq!(out.0.lock().as_slice(), b"ab\nyyyyefgh\n");
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
