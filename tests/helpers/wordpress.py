"""A local stand-in for WordPress's REST API (/wp-json/wp/v2/posts) on 127.0.0.1,
following the documented request and response shapes and application-password auth."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeWordPress:
    def __init__(self, user: str = "victor", app_password: str = "abcd efgh ijkl mnop",
                 fail_first: int = 0) -> None:
        self.posts: list[dict] = []
        self.requests: list[tuple[str, str]] = []
        self.fail_first = fail_first
        expected = "Basic " + base64.b64encode(f"{user}:{app_password}".encode()).decode()
        wp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") != expected:
                    self._send(401, {"code": "rest_not_logged_in",
                                     "message": "You are not currently logged in.",
                                     "data": {"status": 401}})
                    return False
                return True

            def do_GET(self):  # noqa: N802
                url = urlparse(self.path)
                wp.requests.append(("GET", self.path))
                if url.path != "/wp-json/wp/v2/posts" or not self._authorized():
                    return
                slug = parse_qs(url.query).get("slug", [None])[0]
                self._send(200, [p for p in wp.posts if slug is None or p["slug"] == slug])

            def do_POST(self):  # noqa: N802
                wp.requests.append(("POST", self.path))
                if self.path != "/wp-json/wp/v2/posts" or not self._authorized():
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if len([r for r in wp.requests if r[0] == "POST"]) <= wp.fail_first:
                    self._send(500, {"code": "internal_server_error", "message": "oops"})
                    return
                post_id = 100 + len(wp.posts)
                post = {
                    "id": post_id, "date": "2026-11-24T14:30:00", "slug": body.get("slug", ""),
                    "status": body.get("status", "draft"), "type": "post",
                    "link": f"http://127.0.0.1/?p={post_id}",
                    "title": {"rendered": body["title"]},
                    "content": {"rendered": body["content"], "protected": False},
                    "excerpt": {"rendered": body.get("excerpt", ""), "protected": False},
                }
                wp.posts.append(post)
                self._send(201, post)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FakeWordPress:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
