#!/usr/bin/env python3
"""Instructions per request, counted by callgrind: the mock's create and 422 paths and the
bare hyper baseline's, in one run.

    benches/instr.py                 # builds the release binaries, prints the table
    benches/instr.py --profile DIR   # also keeps each callgrind file in DIR and prints the
                                     # 25 functions with the most inclusive instructions
    benches/instr.py -- ARGS...      # extra flags for the mock (for example --log-level warn)
    benches/instr.py --cache         # cachegrind instead: instructions and simulated L1
                                     # instruction and data cache misses per request

When httpmock's standalone server is installed (`cargo install httpmock --features
standalone`; found on PATH, or named by --httpmock or $HTTPMOCK), the table gains its
create path too: the static replay of benches/httpmock/create.yaml that benches/load.sh
times, counted the same way.

Each figure is (I(N2) - I(N1)) / (N2 - N1): two runs of N1 and N2 keep-alive requests from one
client cancel start-up and shutdown. User-space instructions do not depend on the machine's
load, so figures from different runs compare (same binary, same inputs -> within a few %).
With --cache the runs are of 10,000 and 13,000 requests by default, so the journal has filled
and evicts on every request, as it does under load: the misses explain why the mock's
requests per second fall further behind the bare server's than its instructions do.
Needs valgrind (Debian: apt-get install valgrind). Never run by CI.
"""
import argparse, http.client, json, os, re, shutil, signal, socket, subprocess, sys, tempfile

PATH = "/api/v1/billing/user/manage"
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class NoTotals(Exception):
    pass


def body(kind, i):
    if kind == "create":
        # The vendor's example with a fresh login.
        return json.dumps({"login": "u%d@mail.com" % i, "password": "qweasdzxc", "type": "type_value",
                           "billing_info": {"billing_id": "123123123", "billing_extra": []},
                           "status": "active",
                           "billing_properties": [{"type": "phone", "value": "+80283289362"}]})
    # Four failing fields: login (string), password, type, status (required), and more.
    return json.dumps({"login": 5, "billing_properties": [{"type": 1}]})


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


TOOLS = {
    "callgrind": ["--tool=callgrind", "--callgrind-out-file="],
    "cachegrind": ["--tool=cachegrind", "--cache-sim=yes", "--cachegrind-out-file="],
}


def run(cmd, kind, n, want, keep=None, tool="callgrind"):
    """The valgrind tool's event totals for one server run of `n` requests: {"Ir": ...}."""
    cmd = [str(free_port()) if a == "PORT" else a for a in cmd]
    out = keep or tempfile.mktemp(prefix="cg.", suffix=".out")
    *flags, out_flag = TOOLS[tool]
    p = subprocess.Popen(["valgrind", *flags, out_flag + out, *cmd],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = None
    for line in p.stdout:
        # The mock and the bare server print a URL; httpmock logs "Listening on HOST:PORT".
        m = re.search(r"(?:http://|Listening on )[^:/\s]+:(\d+)", line)
        if m:
            port = int(m.group(1))
            break
    if port is None:
        raise SystemExit("%s printed no URL" % cmd[0])
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for i in range(n):
        c.request("POST", PATH, body=body(kind, i), headers=HEADERS)
        r = c.getresponse()
        r.read()
        if want is not None and r.status != want:
            raise SystemExit("%s: status %d on request %d, expected %d" % (cmd[0], r.status, i, want))
    c.close()
    # SIGTERM, not SIGINT: a script started in the background (nohup, `&`) passes SIGINT on
    # ignored, and the bare server, which has no handler, would then never stop.
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    names, totals = [], {}
    if os.path.exists(out):
        with open(out) as f:
            for line in f:
                if line.startswith("events:"):
                    names = line.split()[1:]
                elif line.startswith(("totals:", "summary:")):
                    for name, value in zip(names, line.split()[1:]):
                        totals[name] = max(totals.get(name, 0), int(value))
        if not keep:
            os.remove(out)
    if not totals.get("Ir"):
        raise NoTotals(cmd[0])
    return totals


def counted(cmd, kind, n, want, keep=None, attempts=3, tool="callgrind"):
    # A server that left no totals (killed before valgrind could write them) is run again
    # rather than reported as nothing.
    for attempt in range(attempts):
        try:
            return run(cmd, kind, n, want, keep, tool)
        except NoTotals:
            if attempt == attempts - 1:
                raise SystemExit("no %s totals for %s after %d runs" % (tool, cmd[0], attempts))


def per_request_events(cmd, kind, want, n1, n2, keep, tool="callgrind"):
    """Each event's count per request: (E(N2) - E(N1)) / (N2 - N1)."""
    a = counted(cmd, kind, n1, want, tool=tool)
    b = counted(cmd, kind, n2, want, keep, tool=tool)
    return {name: (b[name] - a.get(name, 0)) / (n2 - n1) for name in b}


def per_request(cmd, kind, want, n1, n2, keep):
    return per_request_events(cmd, kind, want, n1, n2, keep)["Ir"]


def top(path, count=25):
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", path],
                         capture_output=True, text=True).stdout
    lines = [l for l in out.splitlines() if re.match(r"^\s*[\d,]+ \(", l)]
    return "\n".join(lines[:count])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n1", type=int, help="requests in the first run (200; 10,000 with --cache)")
    ap.add_argument("--n2", type=int, help="requests in the second run (1,200; 13,000 with --cache)")
    ap.add_argument("--profile", metavar="DIR", help="keep the callgrind files here and print the top functions")
    ap.add_argument("--cache", action="store_true",
                    help="cachegrind with its cache simulation: L1 misses per request besides instructions")
    ap.add_argument("--no-build", action="store_true", help="use the binaries already in target/release")
    ap.add_argument("--httpmock", metavar="PATH",
                    default=os.environ.get("HTTPMOCK") or shutil.which("httpmock"),
                    help="httpmock's standalone server, counted on the create path too "
                         "(default: $HTTPMOCK, else httpmock on PATH; none: the row is left out)")
    ap.add_argument("mock_args", nargs="*", help="extra flags for the mock (after --)")
    args = ap.parse_args()
    os.chdir(ROOT)
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "vms-billing-mock",
                        "--example", "bare-hyper"], check=True)
    mock = ["target/release/vms-billing-mock", "--port", "PORT", "--max-users", "10000000", *args.mock_args]
    bare = ["target/release/examples/bare-hyper", "PORT"]
    # -d: no access log, as benches/load.sh runs it.
    httpmock = [args.httpmock, "-p", "PORT", "-m", "benches/httpmock", "-d"] if args.httpmock else None
    for server in (mock, bare) + ((httpmock,) if httpmock else ()):
        if not os.access(server[0], os.X_OK):
            raise SystemExit("%s: no such executable%s" % (
                server[0], " (run without --no-build to build it)" if server is not httpmock else ""))
    if args.cache:
        cache_table(bare, mock, httpmock, args.n1 or 10_000, args.n2 or 13_000)
        return
    args.n1, args.n2 = args.n1 or 200, args.n2 or 1200
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
    keep = lambda name: os.path.join(args.profile, name + ".callgrind") if args.profile else None
    rows = [
        ("bare hyper (any body -> 200)", per_request(bare, "create", 200, args.n1, args.n2, keep("bare"))),
        ("mock, create -> 200", per_request(mock, "create", 200, args.n1, args.n2, keep("create"))),
        ("mock, 4 errors -> 422", per_request(mock, "invalid", 422, args.n1, args.n2, keep("invalid"))),
    ]
    if httpmock:
        rows.append(("httpmock 0.9, create (static 200)",
                     per_request(httpmock, "create", 200, args.n1, args.n2, keep("httpmock"))))
    base = rows[0][1]
    print("| path | instructions/request | x bare |")
    print("|---|---:|---:|")
    for name, value in rows:
        print("| %s | %s | %.2f |" % (name, "{:,.0f}".format(value), value / base))
    if args.profile:
        for name in ("create", "invalid"):
            print("\n## %s: top functions, inclusive (whole run of %d requests)\n" % (name, args.n2))
            print(top(keep(name)))


def cache_table(bare, mock, httpmock, n1, n2):
    """Instructions and simulated first-level cache misses per request (cachegrind)."""
    print("| path | instructions | L1i misses | L1d read misses | L1d write misses |")
    print("|---|---:|---:|---:|---:|")
    servers = [("bare hyper (any body -> 200)", bare, "create", 200),
               ("mock, create -> 200", mock, "create", 200),
               ("mock, 4 errors -> 422", mock, "invalid", 422)]
    if httpmock:
        servers.append(("httpmock 0.9, create (static 200)", httpmock, "create", 200))
    for name, cmd, kind, want in servers:
        e = per_request_events(cmd, kind, want, n1, n2, None, tool="cachegrind")
        print("| %s | %s |" % (name, " | ".join("{:,.0f}".format(e.get(k, 0))
                                                for k in ("Ir", "I1mr", "D1mr", "D1mw"))))


if __name__ == "__main__":
    main()
