#!/usr/bin/env python3
"""Hostile soak: ordinary traffic plus every abusive pattern the mock must survive, for a
bounded time, with the mock's resident memory sampled throughout.

    benches/hostile_soak.py [MINUTES] [--binary PATH]

Runs the release binary with its default limits, then for MINUTES (default 3):
- ordinary clients: creates, PATCHes, duplicate logins, invalid bodies, one session in 8;
- slow-header clients (slowloris) and stalled bodies, which the timeouts must close;
- clients that request a large journal listing and never read it;
- pathological 422s (340,000 list elements; the answer must be a quick 500);
- 40 kB headers (journal byte budget), session churn with 300 kB billing_info (store budget);
- connection floods past --max-connections (polite 503s);
- Expect: 100-continue with a body over the limit (413, no 100).
The health endpoint must answer throughout. Prints counts per pattern, unexpected answers,
and RSS at start, peak and end. Python standard library only; never run by CI.
"""
import argparse, json, os, random, socket, subprocess, sys, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
USERS = "/api/v1/billing/user/manage"


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    return 0


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts, self.unexpected, self.refused = {}, {}, {}

    def add(self, kind, ok, detail=""):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            # Over the connection cap or the in-flight budget the mock refuses politely (503)
            # or, past 256 refusals at once, closes: counted, not errors.
            if detail in (503, 0, b"", "ConnectionResetError", "BrokenPipeError") or (
                    isinstance(detail, tuple) and detail[0] == 503) or (
                    isinstance(detail, bytes) and detail.startswith(b"HTTP/1.1 503")):
                self.refused[kind] = self.refused.get(kind, 0) + 1
                return
            if not ok:
                key = f"{kind}: {detail}"[:120]
                self.unexpected[key] = self.unexpected.get(key, 0) + 1


def request(port, method, path, body=b"", headers=None, timeout=10):
    """One request on a fresh connection; returns the status (0 if none)."""
    head = [f"{method} {path} HTTP/1.1", "host: 127.0.0.1", "connection: close",
            f"content-length: {len(body)}"]
    for k, v in (headers or {}).items():
        head.append(f"{k}: {v}")
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        data = b""
        while not data.endswith(b"\r\n") or b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
            if b"\r\n" in data:
                break
    line = data.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) > 1 and line[1].isdigit() else 0


JSON = {"content-type": "application/json", "accept": "application/json"}


def ordinary(port, stats, stop, n):
    i = 0
    while not stop.is_set():
        i += 1
        login = f"soak{n}-{i % 500}@x.com"
        hdr = dict(JSON)
        if i % 8 == 0:
            hdr["x-mock-session"] = f"s{i % 300}"
        kind = i % 4
        try:
            if kind == 0:
                body = json.dumps({"login": login, "password": "p", "type": "b2c", "status": "a"})
                st = request(port, "POST", USERS, body.encode(), hdr)
                stats.add("ordinary create", st in (200, 422), st)
            elif kind == 1:
                body = json.dumps({"login": login, "status": "blocked"})
                st = request(port, "PATCH", USERS, body.encode(), hdr)
                stats.add("ordinary patch", st in (200, 422), st)
            elif kind == 2:
                st = request(port, "POST", USERS, b'{"login": 5}', hdr)
                stats.add("ordinary invalid", st == 422, st)
            else:
                st = request(port, "GET", "/__admin/health")
                stats.add("health", st == 200, st)
        except OSError as e:
            stats.add(f"ordinary {kind}", False, type(e).__name__)


def slowloris(port, stats, stop):
    while not stop.is_set():
        socks = []
        for _ in range(50):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                s.sendall(b"POST " + USERS.encode() + b" HTTP/1.1\r\nhost: x\r\n")
                socks.append(s)
            except OSError:
                pass
        t0 = time.time()
        closed = 0
        for s in socks:
            try:
                s.settimeout(max(0.1, 15 - (time.time() - t0)))
                got = s.recv(64)
                if got.startswith(b"HTTP/1.1 503"):
                    # Accepted while the floods held the connection cap: refused politely
                    # and closed, which is as good as the timeout (counted as a refusal).
                    stats.add("slowloris, past the cap", True, got)
                    closed += 1
                else:
                    closed += got == b""
            except OSError:
                closed += 1
            s.close()
        stats.add("slowloris x50", closed == len(socks), f"{len(socks) - closed} stayed open")


def stalled_body(port, stats, stop):
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=40) as s:
                s.sendall(b"POST " + USERS.encode() + b" HTTP/1.1\r\nhost: x\r\ncontent-type: "
                          b"application/json\r\ncontent-length: 1000\r\n\r\n{\"login\"")
                answer = s.recv(64)
                stats.add("stalled body", answer.startswith(b"HTTP/1.1 408"), answer[:20])
        except OSError as e:
            stats.add("stalled body", False, type(e).__name__)


def never_reads(port, stats, stop):
    while not stop.is_set():
        try:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /__admin/requests HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
            time.sleep(70)  # past the 60 s idle timeout
            s.close()
            stats.add("never reads", True)
        except OSError as e:
            stats.add("never reads", False, type(e).__name__)


def abusive(port, stats, stop):
    huge = json.dumps({"billing_properties": [1] * 340_000}).encode()
    pad = "p" * 40_000
    info = "n" * 300_000
    i = 0
    while not stop.is_set():
        i += 1
        try:
            t0 = time.time()
            st = request(port, "POST", USERS, huge, JSON, timeout=30)
            stats.add("pathological 422", st == 500 and time.time() - t0 < 5, (st, round(time.time() - t0, 1)))
            body = json.dumps({"login": f"pad{i}@x.com", "password": "p", "type": "t", "status": "s"})
            st = request(port, "POST", USERS, body.encode(), dict(JSON, **{"x-padding": pad}))
            stats.add("40 kB header", st == 200, st)
            body = json.dumps({"login": f"big{i}@x.com", "password": "p", "type": "t", "status": "s",
                               "billing_info": {"notes": info}})
            hdr = dict(JSON, **{"x-mock-session": f"big{i % 400}"})
            st = request(port, "POST", USERS, body.encode(), hdr)
            stats.add("300 kB user", st in (200, 500), st)
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(b"POST " + USERS.encode() + b" HTTP/1.1\r\nhost: x\r\nexpect: 100-continue"
                          b"\r\ncontent-length: 50000000\r\n\r\n")
                answer = s.recv(64)
                stats.add("expect over limit", answer.startswith(b"HTTP/1.1 413"), answer[:20])
        except OSError as e:
            stats.add("abusive", False, type(e).__name__)


def flood(port, stats, stop):
    while not stop.is_set():
        socks, refused = [], 0
        for _ in range(1100):
            try:
                socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            except OSError:
                break
        for s in socks[-50:]:
            try:
                s.sendall(b"GET /__admin/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
                s.settimeout(5)
                refused += s.recv(64).startswith(b"HTTP/1.1 503")
            except OSError:
                pass
        for s in socks:
            s.close()
        stats.add("flood of 1100", refused > 0, f"{refused} of the last 50 refused politely")
        time.sleep(5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("minutes", nargs="?", type=float, default=3)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target/release/vms-billing-mock"))
    args = ap.parse_args()
    if not os.path.exists(args.binary):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    p = subprocess.Popen([args.binary, "--port", "0"], stdout=subprocess.PIPE, text=True)
    port = int(p.stdout.readline().rsplit(":", 1)[1])
    stats, stop = Stats(), threading.Event()
    start_rss = rss_kb(p.pid)
    peak = start_rss
    workers = [threading.Thread(target=ordinary, args=(port, stats, stop, n)) for n in range(4)]
    workers += [threading.Thread(target=f, args=(port, stats, stop))
                for f in (slowloris, stalled_body, never_reads, abusive, flood)]
    for w in workers:
        w.daemon = True
        w.start()
    t_end = time.time() + args.minutes * 60
    print(f"start: RSS {start_rss} kB")
    while time.time() < t_end:
        time.sleep(min(30, max(0.1, t_end - time.time())))
        peak = max(peak, rss_kb(p.pid))
        print(f"{int(args.minutes * 60 - (t_end - time.time())):5d} s  RSS {rss_kb(p.pid)} kB", flush=True)
    stop.set()
    time.sleep(20)
    end_rss = rss_kb(p.pid)
    alive = p.poll() is None
    p.terminate()
    p.wait(timeout=30)
    total = sum(stats.counts.values())
    print(f"requests and probes: {total}")
    for k, v in sorted(stats.counts.items()):
        print(f"  {k}: {v}")
    print(f"refused under load (503, or closed past the refusal limit): {sum(stats.refused.values())}")
    for k, v in sorted(stats.refused.items()):
        print(f"  {k}: {v}")
    print(f"unexpected: {sum(stats.unexpected.values())}")
    for k, v in sorted(stats.unexpected.items()):
        print(f"  {v} x {k}")
    print(f"RSS start {start_rss} kB, peak {peak} kB, end {end_rss} kB; alive at the end: {alive}; exit {p.returncode}")
    sys.exit(0 if alive and not stats.unexpected else 1)


if __name__ == "__main__":
    main()
