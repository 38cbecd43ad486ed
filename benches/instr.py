#!/usr/bin/env python3
"""Instructions per request, counted by callgrind: the mock's create and 422 paths and the
bare hyper baseline's, in one run.

    benches/instr.py                 # builds the release binaries, prints the table
    benches/instr.py --profile DIR   # also keeps each callgrind file in DIR and prints the
                                     # 25 functions with the most inclusive instructions
    benches/instr.py -- ARGS...      # extra flags for the mock (for example --log-level warn)

Each figure is (I(N2) - I(N1)) / (N2 - N1): two runs of N1 and N2 keep-alive requests from one
client cancel start-up and shutdown. User-space instructions do not depend on the machine's
load, so figures from different runs compare (same binary, same inputs -> within a few %).
Needs valgrind (Debian: apt-get install valgrind). Never run by CI.
"""
import argparse, http.client, json, os, re, signal, socket, subprocess, sys, tempfile

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


def run(cmd, kind, n, want, keep=None):
    cmd = [str(free_port()) if a == "PORT" else a for a in cmd]
    out = keep or tempfile.mktemp(prefix="cg.", suffix=".out")
    p = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out, *cmd],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = None
    for line in p.stdout:
        m = re.search(r"http://[^:/]+:(\d+)", line)
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
    total = 0
    if os.path.exists(out):
        with open(out) as f:
            for line in f:
                if line.startswith(("totals:", "summary:")):
                    total = max(total, int(line.split()[1]))
        if not keep:
            os.remove(out)
    if not total:
        raise NoTotals(cmd[0])
    return total


def counted(cmd, kind, n, want, keep=None, attempts=3):
    # A server that left no totals (killed before callgrind could write them) is run again
    # rather than reported as nothing.
    for attempt in range(attempts):
        try:
            return run(cmd, kind, n, want, keep)
        except NoTotals:
            if attempt == attempts - 1:
                raise SystemExit("no callgrind totals for %s after %d runs" % (cmd[0], attempts))


def per_request(cmd, kind, want, n1, n2, keep):
    a = counted(cmd, kind, n1, want)
    b = counted(cmd, kind, n2, want, keep)
    return (b - a) / (n2 - n1)


def top(path, count=25):
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", path],
                         capture_output=True, text=True).stdout
    lines = [l for l in out.splitlines() if re.match(r"^\s*[\d,]+ \(", l)]
    return "\n".join(lines[:count])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n1", type=int, default=200)
    ap.add_argument("--n2", type=int, default=1200)
    ap.add_argument("--profile", metavar="DIR", help="keep the callgrind files here and print the top functions")
    ap.add_argument("--no-build", action="store_true", help="use the binaries already in target/release")
    ap.add_argument("mock_args", nargs="*", help="extra flags for the mock (after --)")
    args = ap.parse_args()
    os.chdir(ROOT)
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "vms-billing-mock",
                        "--example", "bare-hyper"], check=True)
    mock = ["target/release/vms-billing-mock", "--port", "PORT", "--max-users", "10000000", *args.mock_args]
    bare = ["target/release/examples/bare-hyper", "PORT"]
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
    keep = lambda name: os.path.join(args.profile, name + ".callgrind") if args.profile else None
    rows = [
        ("bare hyper (any body -> 200)", per_request(bare, "create", 200, args.n1, args.n2, keep("bare"))),
        ("mock, create -> 200", per_request(mock, "create", 200, args.n1, args.n2, keep("create"))),
        ("mock, 4 errors -> 422", per_request(mock, "invalid", 422, args.n1, args.n2, keep("invalid"))),
    ]
    base = rows[0][1]
    print("| path | instructions/request | x bare |")
    print("|---|---:|---:|")
    for name, value in rows:
        print("| %s | %s | %.2f |" % (name, "{:,.0f}".format(value), value / base))
    if args.profile:
        for name in ("create", "invalid"):
            print("\n## %s: top functions, inclusive (whole run of %d requests)\n" % (name, args.n2))
            print(top(keep(name)))


if __name__ == "__main__":
    main()
