#!/usr/bin/env python3
"""A minimal Alertmanager webhook receiver: logs every notification it gets.

The example receiver of the compose stack (service alert-webhook) and of
deploy/e2e-prometheus.sh, which checks that a rule's alert travels
Prometheus -> Alertmanager -> here. Standard library only.

    webhook_receiver.py [--listen 0.0.0.0:9095] [--out FILE]

POST /alerts   an Alertmanager webhook payload (version 4): one line per
               alert on stdout, "<status> <alertname> <labels>", and the
               payload appended to --out as one JSON line when given
GET  /healthz  200 "ok" (the compose healthcheck)

Anything else is answered 404; a body that is not a webhook payload 400.
Replace it with your ticketing or chat bridge: Alertmanager's
webhook_configs url in deploy/alertmanager/alertmanager.yml.
"""
import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 4 << 20


def summary(payload):
    """The lines logged for one webhook payload."""
    for a in payload["alerts"]:
        labels = a.get("labels", {})
        rest = " ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "alertname")
        yield f"{a.get('status', payload.get('status'))} {labels.get('alertname', '?')} {rest}".rstrip()


class Handler(BaseHTTPRequestHandler):
    out = None

    def _answer(self, code, text):
        body = (text + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/healthz":
            self._answer(200, "ok")
        else:
            self._answer(404, "not found: POST /alerts or GET /healthz")

    def do_POST(self):
        if self.path != "/alerts":
            self._answer(404, "not found: POST /alerts or GET /healthz")
            return
        n = int(self.headers.get("Content-Length") or 0)
        if n <= 0 or n > MAX_BODY:
            self._answer(400, f"want a JSON body of 1 byte to {MAX_BODY} bytes")
            return
        try:
            payload = json.loads(self.rfile.read(n))
            lines = list(summary(payload))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            self._answer(400, f"not an Alertmanager webhook payload: {e}")
            return
        for line in lines:
            print(f"{payload.get('receiver', '?')}: {line}", flush=True)
        if self.out:
            with open(self.out, "a", encoding="utf-8") as f:
                f.write(json.dumps(payload, sort_keys=True) + "\n")
        self._answer(200, "ok")

    def log_message(self, *_):
        pass  # one line per alert above instead of one per request


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="0.0.0.0:9095", help="host:port to listen on")
    ap.add_argument("--out", help="append each payload to this file as a JSON line")
    args = ap.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        ap.error(f"--listen {args.listen!r}: want host:port, e.g. 127.0.0.1:9095")
    Handler.out = args.out
    srv = ThreadingHTTPServer((host.strip("[]"), int(port)), Handler)
    print(f"webhook receiver listening on {args.listen}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main(sys.argv[1:])
