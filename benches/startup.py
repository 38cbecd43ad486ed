#!/usr/bin/env python3
"""Time from process launch to the first successful answer, as a CI sidecar sees it.

usage: startup.py PORT RUNS -- COMMAND...
Launches COMMAND (which must listen on 127.0.0.1:PORT) RUNS times; each time sends the
vendor's create request as fast as it can until one gets a 200, records the elapsed time,
and kills the process. Prints the median and the worst in milliseconds.
"""
import socket
import statistics
import subprocess
import sys
import time

BODY = (b'{"login":"test@mail.com","password":"qweasdzxc","type":"type_value",'
        b'"billing_info":{"billing_id":"123123123","billing_extra":[]},"status":"active",'
        b'"billing_properties":[{"type":"phone","value":"+80283289362"}]}')


def request(port):
    head = (b"POST /api/v1/billing/user/manage HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nAccept: application/json\r\n"
            b"Connection: close\r\nContent-Length: " + str(len(BODY)).encode() + b"\r\n\r\n")
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(head + BODY)
        return s.recv(64).startswith(b"HTTP/1.1 200")


def once(port, command):
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if request(port):
                    return (time.perf_counter() - start) * 1000
            except OSError:
                pass
            if time.perf_counter() - start > 10:
                raise SystemExit("no answer within 10 s")
    finally:
        proc.kill()
        proc.wait()


def main():
    args = sys.argv[1:]
    if args[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return
    try:
        port, runs = int(args[0]), int(args[1])
        command = args[args.index("--") + 1:]
    except (IndexError, ValueError):
        raise SystemExit(__doc__)
    if not command:
        raise SystemExit(__doc__)
    times = [once(port, command) for _ in range(runs)]
    print(f"{statistics.median(times):.1f} {max(times):.1f}")


if __name__ == "__main__":
    main()
