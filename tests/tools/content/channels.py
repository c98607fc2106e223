"""Local stand-ins for the publishing channels with the faults real ones have: a WordPress
REST API (/wp-json/wp/v2/posts, application-password auth, unique slugs as WordPress makes
them) that can be slow, store a post late, drop it, answer garbage or be down; and a
Discord webhook (``?wait=true`` returns the message). 127.0.0.1 only."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

HTML = b"<!DOCTYPE html><html><body><h1>Error establishing a database connection</h1></body></html>"


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        ThreadingHTTPServer.allow_reuse_address = True
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def reply(handler: BaseHTTPRequestHandler, status: int, body: object = None,
          raw: bytes | None = None, content_type: str = "application/json") -> None:
    data = raw if raw is not None else json.dumps(body).encode()
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
    except OSError:  # the client gave up (a timeout, or it was killed)
        pass


class WordPress:
    """``store_after_s``: when a POSTed post becomes visible; ``reply_after_s``: when the
    answer is sent (both from the request's arrival). ``drop``: the post is never stored
    (the request got lost). ``post_reply``/``lookup_reply``: a callable returning
    ``(status, raw bytes, content type)`` to answer instead of the real thing."""

    def __init__(self, port: int = 0, user: str = "victor",
                 app_password: str = "abcd efgh ijkl mnop") -> None:
        self.posts: list[dict] = []
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.store_after_s = 0.0
        self.reply_after_s = 0.0
        self.drop = False
        self.post_reply: Callable[[], tuple[int, bytes, str]] | None = None
        self.lookup_reply: Callable[[], tuple[int, bytes, str]] | None = None
        self.user = user
        expected = "Basic " + base64.b64encode(f"{user}:{app_password}".encode()).decode()
        self._port = port
        self._server: _Server | None = None
        wp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") != expected:
                    reply(self, 401, {"code": "rest_not_logged_in", "data": {"status": 401}})
                    return False
                return True

            def do_GET(self):  # noqa: N802
                url = urlparse(self.path)
                with wp.lock:
                    wp.requests.append(("GET", self.path))
                if url.path != "/wp-json/wp/v2/posts" or not self._authorized():
                    return
                if wp.lookup_reply is not None:
                    status, raw, kind = wp.lookup_reply()
                    reply(self, status, raw=raw, content_type=kind)
                    return
                query = parse_qs(url.query)
                slug = query.get("slug", [None])[0]
                with wp.lock:
                    found = [p for p in wp.posts if slug is None or p["slug"] == slug]
                reply(self, 200, found[: int(query.get("per_page", ["10"])[0])])

            def do_POST(self):  # noqa: N802
                arrived = time.monotonic()
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with wp.lock:
                    wp.requests.append(("POST", self.path))
                if self.path != "/wp-json/wp/v2/posts" or not self._authorized():
                    return
                custom = wp.post_reply
                post = None
                if not wp.drop:
                    time.sleep(max(0.0, wp.store_after_s - (time.monotonic() - arrived)))
                    post = wp.add(body)
                time.sleep(max(0.0, wp.reply_after_s - (time.monotonic() - arrived)))
                if custom is not None:
                    status, raw, kind = custom()
                    reply(self, status, raw=raw, content_type=kind)
                elif post is not None:
                    reply(self, 201, post)

        self.handler = Handler

    def add(self, body: dict) -> dict:
        """Store a post as WordPress does (a taken slug gets ``-2``, ``-3``...)."""
        with self.lock:
            slug, n = body.get("slug", ""), 1
            taken = {p["slug"] for p in self.posts}
            while (slug if n == 1 else f"{body['slug']}-{n}") in taken:
                n += 1
            post_id = 100 + len(self.posts)
            post = {
                "id": post_id, "slug": slug if n == 1 else f"{slug}-{n}",
                "status": body.get("status", "draft"), "type": "post",
                "link": f"http://127.0.0.1/?p={post_id}",
                "title": {"rendered": body.get("title", "")},
                "content": {"rendered": body.get("content", ""), "protected": False},
            }
            self.posts.append(post)
            return post

    def slugs(self) -> list[str]:
        with self.lock:
            return [p["slug"] for p in self.posts]

    def posts_sent(self) -> int:
        with self.lock:
            return sum(1 for method, _ in self.requests if method == "POST")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> WordPress:
        self._server = _Server(self.handler, self._port)
        self._port = self._server.port
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def __enter__(self) -> WordPress:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class DiscordWebhook:
    """POST ``?wait=true`` answers the created message; ``reply_after_s`` makes it slow."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.reply_after_s = 0.0
        self.raw_reply: bytes | None = None
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                reply(self, 200, {"id": "42", "type": 1, "name": "copilot"})

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                message = {"id": str(9000 + len(hook.messages)), "content": body["content"],
                           "channel_id": "1"}
                hook.messages.append(message)
                time.sleep(hook.reply_after_s)
                if hook.raw_reply is not None:
                    reply(self, 200, raw=hook.raw_reply, content_type="text/html")
                else:
                    reply(self, 200, message if "wait=true" in self.path else None)

        self.handler = Handler
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.port}/api/webhooks/1/token"

    def __enter__(self) -> DiscordWebhook:
        self._server = _Server(self.handler)
        return self

    def __exit__(self, *exc) -> None:
        assert self._server is not None
        self._server.close()
