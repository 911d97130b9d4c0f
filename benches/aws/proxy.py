#!/usr/bin/env python3
"""A loopback proxy in front of an AWS endpoint (moto) that behaves like a
distant region under a busy account: every call waits LATENCY_MS, and each
operation has its own token bucket (ECS's: burst 100, refill 20 per second).
A call finding its bucket empty is answered as AWS throttles: HTTP 400 with
ThrottlingException (JSON protocols) or Throttling (query protocols).

    python3 proxy.py --target http://127.0.0.1:5000 --port 5100 [--latency-ms 60] [--no-throttle] [--replay]

moto is slow on thousands of services (a DescribeServices of a 500-service
cluster takes it ~100 ms of Python): with --replay the proxy keeps each answer
by operation and request body (time windows aside) and serves it again, so
the figures are the latency's and the quota's, not moto's.

moto 5.2 does not serve DescribeScalingActivities (it answers an HTML 500,
which every SDK retries with backoff); the proxy answers it as AWS does for an
account without recent activity, so neither side pays for moto's gap.

moto 5.2 pages DescribeScalableTargets wrongly (every NextToken after the
first page is the page's size less one, so a listing of more than 100 targets
pages forever): the proxy rewrites the token to the next page's offset.

Standard library only. Prints one line per second with calls and throttles.
"""
import argparse
import http.client
import http.server
import json
import re
import threading
import time
import urllib.parse

MISSING_IN_MOTO = {"DescribeScalingActivities": b'{"ScalingActivities": []}'}
REPLAY = {}
# A metric read's window moves with the clock: the same read, answered again.
TIMES = re.compile(rb'(Start|End)Time[^&,}]*')
LOCK = threading.Lock()
START = time.monotonic()
BUCKETS = {}
STATS = {"calls": 0, "throttled": 0}


def operation(headers, body):
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1], "json"
    fields = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    return fields.get("Action", ["?"])[0], "query"


def take(op, burst, refill):
    now = time.monotonic()
    with LOCK:
        tokens, at = BUCKETS.get(op, (burst, now))
        tokens = min(burst, tokens + (now - at) * refill)
        STATS["calls"] += 1
        if tokens < 1:
            BUCKETS[op] = (tokens, now)
            STATS["throttled"] += 1
            return False
        BUCKETS[op] = (tokens - 1, now)
        return True


def fix_targets_token(request, data):
    """moto answers NextToken = len(page) - 1 and reads it back as an offset
    less one: give it the offset it will read correctly."""
    asked = json.loads(request or b"{}").get("NextToken")
    answer = json.loads(data)
    if answer.get("NextToken") is not None:
        start = int(asked) + 1 if asked else 0
        answer["NextToken"] = str(start + len(answer.get("ScalableTargets", [])) - 1)
    return json.dumps(answer).encode()


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.forward()

    def do_GET(self):
        self.forward()

    def answer(self, status, kind, payload, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        time.sleep(ARGS.latency_ms / 1000.0)
        op, protocol = operation(self.headers, body)
        if ARGS.verbose:
            print(f"{time.monotonic() - START:7.3f} {op}", flush=True)
        if ARGS.throttle and not take(op, ARGS.burst, ARGS.refill):
            if protocol == "json":
                payload = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
                kind = "application/x-amz-json-1.1"
            else:
                payload = (
                    b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                    b"<Message>Rate exceeded</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
                )
                kind = "text/xml"
            self.answer(400, kind, payload, {"x-amzn-ErrorType": "ThrottlingException"})
            return
        if op in MISSING_IN_MOTO:
            self.answer(200, "application/x-amz-json-1.1", MISSING_IN_MOTO[op])
            return
        key = (self.path, op, TIMES.sub(b"", body))
        if ARGS.replay:
            with LOCK:
                kept = REPLAY.get(key)
            if kept:
                status, headers, data = kept
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
        target = urllib.parse.urlparse(ARGS.target)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=600)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        headers["Host"] = target.netloc
        conn.request(self.command, self.path, body=body, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        if op == "DescribeScalableTargets" and answer.status == 200:
            data = fix_targets_token(body, data)
        headers = [
            (k, v)
            for k, v in answer.getheaders()
            if k.lower() not in ("transfer-encoding", "connection", "content-length")
        ]
        if ARGS.replay and answer.status == 200:
            with LOCK:
                REPLAY[key] = (answer.status, headers, data)
        self.send_response(answer.status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()


def report():
    last = dict(STATS)
    while True:
        time.sleep(1)
        with LOCK:
            now = dict(STATS)
        if now != last:
            print(f"calls {now['calls']} throttled {now['throttled']}", flush=True)
        last = now


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--target", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--latency-ms", type=float, default=60.0)
    p.add_argument("--burst", type=float, default=100.0)
    p.add_argument("--refill", type=float, default=20.0)
    p.add_argument("--no-throttle", dest="throttle", action="store_false")
    p.add_argument("--verbose", action="store_true", help="print each call as it arrives")
    p.add_argument("--replay", action="store_true", help="answer a request seen before from memory")
    ARGS = p.parse_args()
    threading.Thread(target=report, daemon=True).start()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", ARGS.port), Proxy)
    server.daemon_threads = True
    server.request_queue_size = 512
    server.serve_forever()
