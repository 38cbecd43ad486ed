#!/usr/bin/env python3
"""Differential check of the lifecycle endpoints against Laravel's own validator.

usage: tools/lifecycle_diff.py MOCK_BINARY [N] [SEED]

Starts the mock on a free loopback port, starts tools/laravel/lifecycle_oracle.php (Laravel's
Validator with the rules of schemas/), and sends N generated bodies per endpoint (DELETE,
licences, licences check, cameras, intercoms, and PATCH and create for good measure) to both.
The bodies lean on edge cases: numbers as strings and floats, huge and negative numbers,
non-list arrays, nested arrays, keys with dots and stars, non-object elements, whitespace.
Both sides know the same users (created in the mock through the admin API, in a session of
their own). Compared: the status, the errors object (keys, their order, every message) and
the summary message. Prints each difference with its body, then "N passed, M failed".
"""
import base64
import http.client
import json
import os
import random
import re
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = os.path.join(HERE, "laravel", "lifecycle_oracle.php")
SESSION = "lifecycle-diff"
PATHS = {
    "create": ("POST", "/api/v1/billing/user/manage"),
    "update": ("PATCH", "/api/v1/billing/user/manage"),
    "delete": ("DELETE", "/api/v1/billing/user/manage"),
    "licenses": ("POST", "/api/v1/billing/user/manage/licenses"),
    "licenses-check": ("POST", "/api/v1/billing/user/manage/licenses/check"),
    "cameras": ("POST", "/api/v1/billing/user/manage/cameras"),
    "intercoms": ("POST", "/api/v1/billing/user/manage/intercoms"),
}
USERS = [f"user{i}@mail.com" for i in range(5)] + ["Ärger@Почта.рф", "12345"]


class Raw:
    """A JSON fragment written as is (1e400, -0, 1.0)."""

    def __init__(self, text):
        self.text = text


def dumps(v):
    if isinstance(v, Raw):
        return v.text
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k) + ":" + dumps(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(dumps(x) for x in v) + "]"
    return json.dumps(v)


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, *xs):
        return self.r.choice(xs)

    def number(self):
        return self.pick(0, 1, 2, -1, 5, 255, 256, 2 ** 63, 2 ** 64, 1.5, 5.0, -0.0, 1e20, Raw("1e400"),
                         Raw("-0"), Raw("1.0"), "5", " 5 ", "05", "+5", "5.0", "1e3", "x", "", " ", True, False,
                         None, [], [1], {"a": 1})

    def text(self):
        return self.pick("a", "phone", " padded ", "", " ", "\u180eid", "\u200eid", "\x00", "x" * 255,
                         "x" * 256, "é" * 256, 7, 1.5, True, None, [], ["a"], {"k": "v"})

    def login(self):
        return self.pick(*USERS, USERS[0].upper(), " " + USERS[1] + " ", "nobody@mail.com", "", None, 5,
                         [USERS[0]], {"a": USERS[0]})

    def key(self):
        return self.pick("0", "1", "01", "+1", "", "*", "a.b", "a*", ":index", "x:input", "type", "k")

    def collection(self, element):
        shape = self.r.random()
        n = self.r.randint(0, 4)
        if shape < 0.6:
            return [element() for _ in range(n)]
        if shape < 0.8:
            return {self.key(): element() for _ in range(n)}
        return self.pick(None, "", "x", 5, True, [[]], [[1, 2]])

    def body(self, endpoint):
        b = {}
        if self.r.random() < 0.95:
            b["login"] = self.login()
        if endpoint in ("licenses", "licenses-check"):
            for level in ("analytic_l1", "analytic_l2", "analytic_l3"):
                if self.r.random() < 0.6:
                    b[level] = self.number()
        elif endpoint == "cameras":
            b["camera_ids"] = self.collection(self.number)
            if self.r.random() < 0.6:
                b["camera_external_ids"] = self.collection(lambda: self.pick(self.number(), self.text()))
            if self.r.random() < 0.5:
                b["public_group_external_ids"] = self.collection(self.text)
            if self.r.random() < 0.6:
                b["private_group_external_ids"] = self.collection(self.group)
        elif endpoint == "intercoms":
            b["sync"] = self.collection(self.flat)
        elif endpoint == "update":
            for f in ("status", "password"):
                if self.r.random() < 0.4:
                    b[f] = self.text()
            for f in ("permissions_to_attach", "permissions_to_detach"):
                if self.r.random() < 0.4:
                    b[f] = self.collection(lambda: self.pick("ptz", "bridges", "nope", 5, None, [], " ptz "))
        elif endpoint == "create":
            b.update({"password": self.pick("p", " ", "\u00a0", "\x0c"), "type": self.text(), "status": self.text()})
            if self.r.random() < 0.5:
                b["billing_properties"] = self.collection(lambda: {"type": self.text(), "value": self.text()})
        return b

    def group(self):
        g = {}
        if self.r.random() < 0.8:
            g["key"] = self.text()
        if self.r.random() < 0.8:
            g["group_external_id"] = self.pick(self.number(), self.text())
        return self.pick(g, g, g, 5, "x", None, [])

    def flat(self):
        f = {}
        for k, p in (("intercom_external_id", 0.5), ("intercom_id", 0.5), ("flat", 0.8)):
            if self.r.random() < p:
                f[k] = self.number() if k != "intercom_external_id" else self.pick(self.number(), self.text())
        return self.pick(f, f, f, 7, "x", None, [])


class Mock:
    def __init__(self, binary):
        self.p = subprocess.Popen([binary, "--port", "0", "--clock", "2024-01-01T00:00:00Z", "--lenient-accept"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.p.stdout.readline()
        url = urllib.parse.urlparse(line.split("listening on ", 1)[1].strip())
        self.c = http.client.HTTPConnection(url.hostname, url.port, timeout=30)

    def send(self, method, path, body):
        self.c.request(method, path, body=body, headers={
            "Content-Type": "application/json", "Accept": "application/json", "X-Mock-Session": SESSION})
        r = self.c.getresponse()
        data = r.read()
        try:
            return r.status, json.loads(data) if data else None
        except ValueError:
            return r.status, {"__raw__": data.decode("utf-8", "replace")}

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=10)


PLACEHOLDER = re.compile(r"(__asterisk__)?[A-Za-z0-9]{16}")


def known_difference(laravel_message, mock_message, raw):
    """Laravel names `required_without`'s other field with its internal escapes of `.` and `*`
    in keys (`__asterisk__` and 16 random characters), which no one else can reproduce; the mock
    names it as sent (README, known differences). Same message otherwise."""
    cut = " is not present."
    if " required when " not in laravel_message or not laravel_message.endswith(cut):
        return False
    head_l, other_l = laravel_message[: -len(cut)].split(" required when ", 1)
    head_m, _, other_m = mock_message[: -len(cut)].partition(" required when ")
    if head_l != head_m:
        return False
    escapes = [m.group(0) for m in PLACEHOLDER.finditer(other_l) if m.group(0) not in raw]
    return bool(escapes)


def compare(laravel, status, body, raw=""):
    """Differences between Laravel's answer and the mock's, as lines (none: they agree)."""
    ls = laravel["status"]
    if ls == 500:
        return [f"oracle exception: {laravel.get('exception')}"]
    if ls == 200:
        return [] if status in (200, 204) else [f"Laravel passes, the mock answers {status}: {json.dumps(body)}"]
    if status != 422:
        return [f"Laravel answers 422, the mock {status}"]
    lb = laravel["body"]
    out = []
    mock_errors = (body or {}).get("errors", {})
    if list(lb["errors"]) == list(mock_errors) and all(
        lm == mm or known_difference(lm, mm, raw)
        for key in lb["errors"]
        for lm, mm in zip(lb["errors"][key], mock_errors[key])
    ) and all(len(lb["errors"][k]) == len(mock_errors[k]) for k in lb["errors"]):
        return []
    if list(lb["errors"].items()) != list(mock_errors.items()):
        out.append("errors differ:\n    laravel " + json.dumps(lb["errors"], ensure_ascii=False)
                   + "\n    mock    " + json.dumps((body or {}).get("errors"), ensure_ascii=False))
    elif lb["message"] != body.get("message"):
        out.append(f"message differs: laravel {lb['message']!r}, mock {body.get('message')!r}")
    return out


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    if sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return
    if not os.access(sys.argv[1], os.X_OK):
        raise SystemExit("%s: no such executable (cargo build --release first?)" % sys.argv[1])
    binary = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    gen = Gen(seed)
    mock = Mock(binary)
    oracle = subprocess.Popen(["php", ORACLE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    users = list(USERS)
    for login in users:
        body = json.dumps({"login": login, "password": "p", "type": "b2c", "status": "active"})
        status, _ = mock.send("POST", "/__admin/users", body)
        assert status == 201, status
    passed = failed = 0
    started = time.time()
    for endpoint in PATHS:
        for _ in range(n):
            body = dumps(gen.body(endpoint)).encode()
            if endpoint == "create":
                # A create that passes stores a user on one side only: the oracle is stateless.
                body_obj = json.loads(body)
                if isinstance(body_obj.get("login"), str) and body_obj["login"].strip() not in ("",):
                    body_obj["login"] = body_obj["login"] + f".{passed + failed}"
                body = dumps(body_obj).encode()
            oracle.stdin.write(json.dumps({"endpoint": endpoint, "body_b64": base64.b64encode(body).decode(),
                                           "users": users}) + "\n")
            oracle.stdin.flush()
            laravel = json.loads(oracle.stdout.readline())
            method, path = PATHS[endpoint]
            status, answer = mock.send(method, path, body)
            diffs = compare(laravel, status, answer, body.decode(errors="replace"))
            if endpoint == "delete" and status == 204:
                # Put the user back in the mock, so both sides keep the same users.
                login = laravel["input"]["login"]
                match = next(u for u in users if u.lower() == login.lower())
                mock.send("POST", "/__admin/users", json.dumps(
                    {"login": match, "password": "p", "type": "b2c", "status": "active"}))
            if diffs:
                failed += 1
                print(f"### {endpoint}: {body.decode(errors='replace')}")
                for d in diffs:
                    print("  " + d)
            else:
                passed += 1
    mock.stop()
    oracle.stdin.close()
    print(f"endpoints: {', '.join(PATHS)}; {n} bodies each, seed {seed}, {time.time() - started:.1f} s")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
