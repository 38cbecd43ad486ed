#!/usr/bin/env python3
"""Sends the same HTTP requests to the reference Laravel app and to the mock, and reports
every difference.

usage: tools/compare_reference.py MOCK_BINARY [--reference DIR] [--cases FILE]

Starts both servers fresh on free loopback ports (the reference app with its run.sh, by default
../shared/reference-app; both with the clock frozen at 2023-05-02T10:18:50Z and ids from 1),
sends every case of tools/cases/http.json in order with `Host: billing.test`, and compares
the status and its reason phrase, `Content-Type`, `Allow`, `Location` and the body byte for
byte (HTML pages by their content type only: the reference app renders Laravel 8's views).
Prints one line per case, the differences in full, then "N same, M different, K known
differences" (cases marked `known_difference` in the file, each with its reason); exits
non-zero on any other difference.
"""
import base64
import http.client
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLOCK = "2023-05-02T10:18:50Z"
HOST = "billing.test"
COMPARED = ("content-type", "allow", "location")


def body_of(case):
    if "pad" in case:
        return ('{"login":"' + "x" * case["pad"] + '"}').encode()
    if "body_b64" in case:
        return base64.b64decode(case["body_b64"])
    return case.get("body", "").encode()


def send(port, case):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": HOST, **case["headers"]}
    body = body_of(case)
    c.putrequest(case["method"], case["path"], skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        c.putheader(k, v)
    if body or case["method"] in ("POST", "PATCH", "PUT", "DELETE"):
        c.putheader("Content-Length", str(len(body)))
    c.endheaders(body)
    r = c.getresponse()
    data = r.read()
    answer = {"status": r.status, "reason": r.reason, "headers": {k: r.getheader(k) for k in COMPARED if r.getheader(k) is not None},
              "body": data}
    c.close()
    return answer


def comparable(answer):
    """What is compared: HTML bodies are the reference app's Laravel 8 views, so only their
    content type counts."""
    html = (answer["headers"].get("content-type") or "").startswith("text/html")
    headers = {k: v.lower() if k == "content-type" else v for k, v in answer["headers"].items()}
    body = None if html and answer["status"] != 302 else answer["body"]
    return answer["status"], headers, body


def start(cmd, env=None):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                         start_new_session=True)
    for line in p.stdout:
        if line.startswith("listening on "):
            return p, int(line.rsplit(":", 1)[1])
    raise SystemExit(f"{cmd[0]} did not start")


def stop(p):
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    p.wait(timeout=10)


def main():
    args = sys.argv[1:]
    if not args:
        raise SystemExit(__doc__)
    if args[0] in ("-h", "--help"):
        print(__doc__)
        return
    reference = os.path.join(HERE, "..", "..", "shared", "reference-app")
    cases_file = os.path.join(HERE, "cases", "http.json")
    if "--reference" in args:
        i = args.index("--reference"); reference = args[i + 1]; del args[i:i + 2]
    if "--cases" in args:
        i = args.index("--cases"); cases_file = args[i + 1]; del args[i:i + 2]
    if not os.access(args[0], os.X_OK):
        raise SystemExit("%s: no such executable (cargo build --release first?)" % args[0])
    cases = json.load(open(cases_file))["cases"]
    ref, ref_port = start([os.path.join(reference, "run.sh"), "0"], env={**os.environ, "REF_CLOCK": CLOCK})
    mock, mock_port = start([args[0], "--port", "0", "--clock", CLOCK])
    same = different = known = 0
    started = time.time()
    try:
        for case in cases:
            expected, got = send(ref_port, case), send(mock_port, case)
            # The reason phrase too (Symfony's, e.g. `422 Unprocessable Content`); the
            # golden files keep the status code only.
            if comparable(expected) == comparable(got) and expected["reason"] == got["reason"]:
                same += 1
                print(f"same      {expected['status']} {case['name']}")
                continue
            if case.get("known_difference"):
                known += 1
                print(f"known     {case['name']}: {case['known_difference']}")
                continue
            different += 1
            print(f"DIFFERENT {case['name']} ({case['method']} {case['path']})")
            for who, a in (("reference", expected), ("mock     ", got)):
                print(f"    {who} {a['status']} {a['reason']} {json.dumps(a['headers'])}")
                print(f"              {a['body'][:400]!r}")
    finally:
        stop(mock)
        stop(ref)
    print(f"{len(cases)} requests in {time.time() - started:.1f} s: {same} same, {different} different, "
          f"{known} known differences (the README's list)")
    sys.exit(1 if different else 0)


if __name__ == "__main__":
    main()
