#!/usr/bin/env python3
"""Records Laravel's answers as golden files for the test suite (tests/golden/).

usage: tools/record_golden.py [--shared DIR] [--generated N] [--seed S]

Needs PHP with Debian's Laravel packages (../shared/oracle/setup.sh) and ../shared (the oracle
and the reference app); the files it writes let `cargo test` check the mock against Laravel
with no PHP on the machine (tests/api/golden.rs).

- tests/golden/http.json: every request of tools/cases/http.json, sent in order to the reference
  Laravel app (clock frozen, ids from 1, `Host: billing.test`), with its status, Content-Type,
  Allow, Location and body (HTML bodies are not kept: the app renders Laravel 8's views).
- tests/golden/validation.json: requests and the answer of Laravel's own validator, each with the
  logins that exist when it is sent: the cases of tools/cases/validation.json (at least one per
  difference the oracle found), and N generated ones per kind (create and PATCH bodies from the
  oracle's generator, requests reaching the endpoints through query strings, forms, multipart
  and method override, and bodies for the other endpoints), recorded by ../shared/oracle's
  laravel_oracle.php and tools/laravel/lifecycle_oracle.php.
"""
import base64
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
USERS = ["taken@mail.com", "Ärger@Почта.рф", "900123", "login_7", "user0@mail.com"]


def b64(raw):
    return base64.b64encode(raw).decode()


class Php:
    """A JSON-lines PHP process."""

    def __init__(self, script):
        self.p = subprocess.Popen(["php", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  bufsize=1, encoding="utf-8")

    def call(self, request):
        self.p.stdin.write(json.dumps(request) + "\n")
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


def expectation(answer, endpoint):
    """What the golden test checks of a Laravel answer."""
    out = {"status": answer["status"]}
    if answer["status"] == 422:
        out["message"] = answer["body"]["message"]
        out["errors"] = list(answer["body"]["errors"].items())
    elif answer["status"] == 200 and endpoint == "create":
        stored = answer.get("input") or {}
        out["stored"] = {k: stored.get(k) for k in ("login", "type", "status")}
    return out


def record_http(shared):
    sys.path.insert(0, HERE)
    import compare_reference as cr
    cases = json.load(open(os.path.join(HERE, "cases", "http.json")))["cases"]
    ref, port = cr.start([os.path.join(shared, "reference-app", "run.sh"), "0"],
                         env={**os.environ, "REF_CLOCK": cr.CLOCK})
    out = []
    try:
        for case in cases:
            answer = cr.send(port, case)
            status, headers, body = cr.comparable(answer)
            out.append({
                "name": case["name"], "cause": case["cause"],
                "request": {"method": case["method"], "path": case["path"],
                            "headers": {"Host": cr.HOST, **case["headers"]},
                            **({"pad": case["pad"]} if "pad" in case else {"body_b64": b64(cr.body_of(case))})},
                "expect": {"status": status, "headers": headers,
                           "body_b64": None if body is None else b64(body)},
                **({"known_difference": case["known_difference"]} if "known_difference" in case else {}),
            })
    finally:
        cr.stop(ref)
    return out


def oracle_case(oracle, users, name, cause, request):
    """One request through ../shared/oracle's http op (PHP's own SAPI parses it)."""
    oracle.call({"op": "reset"})
    for login in users:
        oracle.call({"op": "seed", "login": login})
    path_query = request["path_query"]
    answer = oracle.call({"op": "http", "method": request["method"], "path_query": path_query,
                          "content_type": request["headers"].get("Content-Type"),
                          "body_b64": request["body_b64"],
                          "headers": {k: v for k, v in request["headers"].items() if k != "Content-Type"},
                          "dry_run": True})
    if answer["status"] not in (200, 422, 404, 405):
        return None
    routed = answer.get("routed_method") or request["method"]
    endpoint = "create" if routed == "POST" else "update" if routed == "PATCH" else routed.lower()
    expect = expectation(answer, endpoint) if answer["status"] in (200, 422) else {"status": answer["status"]}
    return {"name": name, "cause": cause, "users": users,
            "request": {"method": request["method"], "path": "/api/v1/billing/user/manage" + path_query,
                        "headers": {"Accept": "application/json", **request["headers"]},
                        "body_b64": request["body_b64"]},
            "expect": expect}


def lifecycle_case(oracle, users, name, cause, endpoint, raw):
    import lifecycle_diff as ld
    answer = oracle.call({"endpoint": endpoint, "body_b64": b64(raw), "users": users})
    method, path = ld.PATHS[endpoint]
    return {"name": name, "cause": cause, "users": users,
            "request": {"method": method, "path": path,
                        "headers": {"Accept": "application/json", "Content-Type": "application/json"},
                        "body_b64": b64(raw)},
            "expect": expectation(answer, endpoint)}


def record_validation(shared, generated, seed):
    sys.path.insert(0, os.path.join(shared, "oracle"))
    sys.path.insert(0, HERE)
    import diff
    import lifecycle_diff as ld
    laravel = Php(os.path.join(shared, "oracle", "laravel_oracle.php"))
    lifecycle = Php(os.path.join(HERE, "laravel", "lifecycle_oracle.php"))
    out = []

    def json_request(method, body, query="", content_type="application/json"):
        headers = {"Content-Type": content_type} if content_type else {}
        return {"method": method, "path_query": query, "headers": headers, "body_b64": b64(body)}

    # The cases named after the causes.
    for case in json.load(open(os.path.join(HERE, "cases", "validation.json")))["cases"]:
        raw = case["body"].encode() if "body" in case else base64.b64decode(case.get("body_b64", ""))
        users = case.get("users", USERS)
        if "endpoint" not in case:
            request = json_request(case.get("method", "POST"), raw, case.get("query", ""),
                                   case.get("content_type", "application/json"))
            request["headers"].update(case.get("headers", {}))
            recorded = oracle_case(laravel, users, case["name"], case["cause"], request)
        else:
            recorded = lifecycle_case(lifecycle, users, case["name"], case["cause"], case["endpoint"], raw)
        if recorded is None:
            raise SystemExit(f"Laravel gave no usable answer for {case['name']}")
        out.append(recorded)

    # Generated: create and PATCH bodies, transport shapes, the other endpoints.
    g = diff.Gen(seed)
    g.agreed = list(USERS)
    g.numeric_agreed = ["900123"]
    for i in range(generated):
        _, body = g.body()
        raw = diff.dumps(body, ascii_=g.p(0.3)).encode()
        r = oracle_case(laravel, USERS, f"generated create {i}", "generated", json_request("POST", raw))
        if r:
            out.append(r)
    for i in range(generated):
        body = {"login": g.choice(USERS + ["nobody@mail.com", " " + USERS[0].upper() + " "])}
        for f, gen in (("password", g.password), ("status", lambda: g.any_value("blocked")),
                       ("billing_properties", g.billing_properties)):
            if g.p(0.4):
                body[f] = gen()
        for f in ("permissions_to_attach", "permissions_to_detach"):
            if g.p(0.4):
                body[f] = g.choice([["ptz", "bridges"], ["nope", 5], {"a": "ptz"}, "ptz", None, [[]]])
        raw = diff.dumps(body).encode()
        r = oracle_case(laravel, USERS, f"generated update {i}", "generated", json_request("PATCH", raw))
        if r:
            out.append(r)
    tg = diff.TransportGen(g)
    for i in range(generated):
        t = tg.next()
        headers = dict(t.headers)
        if t.ctype is not None:
            headers["Content-Type"] = t.ctype
        request = {"method": t.method, "path_query": t.path_query(), "headers": headers, "body_b64": b64(t.body())}
        r = oracle_case(laravel, USERS, f"generated {t.family} {i}", "generated-transport", request)
        if r:
            out.append(r)
    lg = ld.Gen(seed)
    for endpoint in ("delete", "licenses", "licenses-check", "cameras", "intercoms"):
        for i in range(generated // 2):
            raw = ld.dumps(lg.body(endpoint)).encode()
            case = lifecycle_case(lifecycle, ld.USERS, f"generated {endpoint} {i}", "generated", endpoint, raw)
            messages = [m for _, ms in case["expect"].get("errors", []) for m in ms]
            # Laravel names required_without's other field with its random escapes of `.` and
            # `*` in keys: not reproducible, and a known difference (README).
            if any(ld.known_difference(m, m.replace("__asterisk__", ""), raw.decode(errors="replace")) for m in messages):
                continue
            out.append(case)
    laravel.close()
    lifecycle.close()
    return out


def main():
    args = sys.argv[1:]
    if args[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return
    shared = os.path.join(ROOT, "..", "shared")
    generated, seed = 120, 7
    if "--shared" in args:
        i = args.index("--shared"); shared = args[i + 1]; del args[i:i + 2]
    if "--generated" in args:
        i = args.index("--generated"); generated = int(args[i + 1]); del args[i:i + 2]
    if "--seed" in args:
        i = args.index("--seed"); seed = int(args[i + 1]); del args[i:i + 2]
    if args:
        raise SystemExit("unknown arguments: %s\n%s" % (" ".join(args), __doc__))
    target = os.path.join(ROOT, "tests", "golden")
    os.makedirs(target, exist_ok=True)
    http_cases = record_http(shared)
    with open(os.path.join(target, "http.json"), "w") as f:
        json.dump({"recorded_by": "tools/record_golden.py from ../shared/reference-app", "cases": http_cases},
                  f, indent=1, ensure_ascii=False)
    validation = record_validation(shared, generated, seed)
    with open(os.path.join(target, "validation.json"), "w") as f:
        json.dump({"recorded_by": "tools/record_golden.py from ../shared/oracle and tools/laravel",
                   "seed": seed, "cases": validation}, f, indent=1, ensure_ascii=False)
    print(f"{len(http_cases)} HTTP cases, {len(validation)} validation cases")


if __name__ == "__main__":
    main()
