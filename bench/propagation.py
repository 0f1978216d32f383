#!/usr/bin/env python3
"""Revocation propagation A -> B in a pitd cluster: the time from node A acknowledging an
expire-now to node B first answering {"active": false} for the expired token.

  propagation.py A_PORT B_PORT SAMPLES      (service key in $PITLOG_BENCH_KEY)

Per sample, on one integration: rotate later on A (the token held becomes `previous`), check on
B (with X-Pitlog-Min-Position) that it is still active there, expire-now on A, then poll B's
introspection without any position header until it answers inactive. Prints one line:
bench=propagation samples=N p50_ms=… p99_ms=… max_ms=… polls_mean=… failed=N
Tokens stay in memory: none is printed."""
import http.client
import json
import os
import sys
import time

a_port, b_port, samples = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
key = os.environ["PITLOG_BENCH_KEY"]
admin = {"Authorization": "Bearer " + key, "Content-Type": "application/json",
         "X-Actor-User": "bench-admin", "X-Actor-Role": "admin"}
a = http.client.HTTPConnection("127.0.0.1", a_port)
b = http.client.HTTPConnection("127.0.0.1", b_port)


def call(conn, method, path, body=None, extra=None):
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={**admin, **(extra or {})})
    r = conn.getresponse()
    data = r.read()
    return r.status, r.getheader("X-Pitlog-Position"), data


def active_on_b(token, min_position=None):
    extra = {"X-Pitlog-Min-Position": min_position} if min_position else None
    status, _, data = call(b, "POST", "/v1/introspect", {"token": token}, extra)
    if status != 200:
        raise RuntimeError(f"introspection on B answered {status}")
    return json.loads(data)["active"]


status, _, data = call(a, "POST", "/v1/accounts/bench-propagation/integrations",
                       {"name": "propagation", "scopes": ["contacts.readonly"]})
if status != 201:
    sys.exit(f"create on A answered {status}")
created = json.loads(data)
base = "/v1/accounts/bench-propagation/integrations/" + created["integration"]["id"]
held = created["token"]

delays_ms, polls, failed = [], 0, 0
for _ in range(samples):
    status, position, data = call(a, "POST", base + "/rotate", {"expire": "later"})
    if status != 200:
        sys.exit(f"rotate later on A answered {status}")
    fresh = json.loads(data)["token"]
    if not active_on_b(held, position):  # B must know the token as valid before the expiry
        failed += 1
        held = fresh
        continue
    status, _, _ = call(a, "POST", base + "/rotation/expire-now")
    if status != 200:
        sys.exit(f"expire-now on A answered {status}")
    acked = time.perf_counter()
    while True:
        polls += 1
        if not active_on_b(held):
            break
    delays_ms.append((time.perf_counter() - acked) * 1000)
    held = fresh

if not delays_ms:
    sys.exit("no sample measured")
delays_ms.sort()
pick = lambda q: delays_ms[min(len(delays_ms) - 1, int(q * len(delays_ms)))]
print(f"bench=propagation samples={len(delays_ms)} p50_ms={pick(0.5):.2f} p99_ms={pick(0.99):.2f} "
      f"max_ms={delays_ms[-1]:.2f} polls_mean={polls / len(delays_ms):.1f} failed={failed}")
