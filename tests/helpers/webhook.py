"""A webhook receiver on 127.0.0.1 that records every request and deduplicates on the
``Idempotency-Key`` header, as a well-behaved receiver does."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    def __init__(self, delay_s: float = 0.0, fail_first: int = 0, port: int = 0) -> None:
        self.requests: list[tuple[str, dict]] = []
        self.down = False  # answer 503 to everything while set (an outage)
        self.delivered: list[dict] = []  # every body answered 2xx, duplicates included
        self.accepted: dict[str, dict] = {}
        self.delay_s = delay_s
        self.fail_first = fail_first
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = json.loads(raw) if raw else {}
                key = self.headers.get("Idempotency-Key", "")
                with receiver.lock:
                    receiver.requests.append((key, body))
                    failing = receiver.down or len(receiver.requests) <= receiver.fail_first
                    if not failing:
                        receiver.accepted.setdefault(key, body)
                        receiver.delivered.append(body)
                time.sleep(receiver.delay_s)
                self.send_response(503 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def accepted_firings(self) -> list[int]:
        """What a receiver that honours Idempotency-Key processed (once per key)."""
        return [f["firing_id"] for body in self.accepted.values() for f in body["firings"]]

    def received_firings(self) -> list[int]:
        """What a receiver that ignores the key would have processed: every 2xx body."""
        return [f["firing_id"] for body in self.delivered for f in body.get("firings", [])]
