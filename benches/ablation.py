#!/usr/bin/env python3
"""What each layer of the create path costs, in instructions per request: the mock with
layers left out, next to the bare hyper baseline, counted as benches/instr.py counts them.

    benches/ablation.py              # builds the patched mock, prints the table
    benches/ablation.py --no-build   # uses target/ablation/release/vms-billing-mock as built

The layers are left out by benches/ablation.patch, applied to a copy of HEAD in a temporary
git worktree (the checkout is not touched) and built into target/ablation. The patch reads
$ABLATE once, a bit mask: 1 answers every request with a canned 200 as the first thing
`pipeline::process` does (what is left is the server: hyper, the connection's limits and
timers, fault hooks, metrics and the log line); 2 skips the create schema's validation (the
input is still decoded and the user built and stored); 4 skips the journal entry. The log
line is left out with the mock's own `--log-level warn`.

The table says how far below the mock's own floor issue 14's instruction targets are: the
canned row is the most a mock built on this server could do with nothing to do. Needs
valgrind and git. Never run by CI (CI only checks that the patch still applies).

    benches/ablation.py --load 8 5   # the same rows under load instead: req/s against bare

With --load, each row runs under wrk against the bare server instead of being counted, in
alternating rounds (benches/ab.sh: ROUNDS rounds of SECONDS each, servers on CPU 0, wrk on
CPU 1), and the table gives the median and range of the per-round req/s ratios row / bare:
the throughput ratio each layer leaves. Needs wrk instead of valgrind.
"""

import argparse
import importlib.util
import os
import re
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "ablation", "release", "vms-billing-mock")

spec = importlib.util.spec_from_file_location("instr", os.path.join(ROOT, "benches", "instr.py"))
instr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(instr)

# (row, $ABLATE, extra flags)
ROWS = [
    ("mock, create -> 200 (all of it)", 0, []),
    ("  without the log line", 0, ["--log-level", "warn"]),
    ("  without the journal entry", 4, []),
    ("  without validation", 2, []),
    ("  without validation, journal entry, log line", 6, ["--log-level", "warn"]),
    ("  canned 200 from process()", 1, []),
    ("  canned 200 from process(), no log line", 1, ["--log-level", "warn"]),
]


def build():
    with tempfile.TemporaryDirectory(prefix="ablation.") as tmp:
        tree = os.path.join(tmp, "tree")
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", "--quiet", tree, "HEAD"],
                       check=True)
        try:
            applied = subprocess.run(["git", "-C", tree, "apply",
                                      os.path.join(ROOT, "benches", "ablation.patch")])
            if applied.returncode != 0:
                raise SystemExit("benches/ablation.patch no longer applies to HEAD: "
                                 "remake it (see benches/README.md, 'Where the instructions go')")
            subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "vms-billing-mock",
                            "--target-dir", os.path.join(ROOT, "target", "ablation")],
                           cwd=tree, check=True)
        finally:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tree], check=False)
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "bare-hyper"],
                   cwd=ROOT, check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-build", action="store_true", help="use the binaries already built")
    ap.add_argument("--n1", type=int, default=200, help="requests in the first run (200)")
    ap.add_argument("--n2", type=int, default=1200, help="requests in the second run (1,200)")
    ap.add_argument("--load", nargs=2, type=int, metavar=("ROUNDS", "SECONDS"),
                    help="time each row under wrk against the bare server (benches/ab.sh) "
                         "instead of counting instructions")
    args = ap.parse_args()
    if args.load and min(args.load) < 1:
        ap.error("--load wants at least one round of at least one second")
    os.chdir(ROOT)
    if not args.no_build:
        build()
    bare = ["target/release/examples/bare-hyper", "PORT"]
    for server in (BIN, bare[0]):
        if not os.access(server, os.X_OK):
            raise SystemExit("%s: no such executable (run without --no-build to build it)" % server)
    if args.load:
        return load_table(bare, *args.load)
    base = instr.per_request(bare, "create", 200, args.n1, args.n2, None)
    print("| create path | instructions/request | x bare |")
    print("|---|---:|---:|")
    print("| bare hyper (any body -> 200) | {:,.0f} | 1.00 |".format(base))
    for name, mask, flags in ROWS:
        os.environ["ABLATE"] = str(mask)
        mock = [BIN, "--port", "PORT", "--max-users", "10000000", *flags]
        n = instr.per_request(mock, "create", 200, args.n1, args.n2, None)
        print("| {} | {:,.0f} | {:.2f} |".format(name, n, n / base), flush=True)
    os.environ.pop("ABLATE", None)


def load_table(bare, rounds, seconds):
    """Each row against the bare server under wrk: the median and range of per-round ratios."""
    print("| create path, under load | req/s ratio to bare (median) | range, %d rounds of %d s |"
          % (rounds, seconds))
    print("|---|---:|---|")
    for name, mask, flags in ROWS:
        mock = ["env", "ABLATE=%d" % mask, BIN, "--port", "PORT", "--max-users", "10000000", *flags]
        done = subprocess.run(["benches/ab.sh", str(rounds), str(seconds), "benches/create.lua",
                               shlex.join(bare), shlex.join(mock)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        found = re.search(r"median ([0-9.]+), range ([0-9.]+) to ([0-9.]+)", done.stdout)
        if done.returncode != 0 or not found:
            raise SystemExit("benches/ab.sh failed on row %r: %s" % (name.strip(), done.stdout[-300:]))
        median, low, high = found.groups()
        print("| %s | %s | %s to %s |" % (name, median, low, high), flush=True)


if __name__ == "__main__":
    sys.exit(main())
