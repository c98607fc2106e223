"""A tiny OpenAI-compatible chat-completions server on 127.0.0.1 for tests.

By default it answers the first request of a turn with a tool call chosen by ``route``
(from the last user message) and, once a ``tool`` message follows that user message, with
a final answer that quotes the tool's result. With ``script`` it answers request after
request with the scripted ``Reply`` objects instead (a callable entry is given the
request body and returns the ``Reply``), and with HTTP 500 once the script runs out.

Every request body is recorded (``requests``; ``chat_requests`` without embeddings), so
a test can read exactly what the client sent: the messages (history, tool results), the
tools, ``stream``. A request with ``"stream": true`` is answered as OpenAI does, with
server-sent events: the content word by word, then each tool call, then the finish
reason (and the usage when ``stream_options.include_usage`` asks for it), then
``[DONE]``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = Callable[[str], tuple[str, dict] | None]


@dataclass
class Reply:
    """One scripted answer: text, tool calls (``(name, args)`` pairs), or, with a
    ``status`` other than 200, an OpenAI-style error with that status. ``pieces`` cuts a
    streamed content where a test wants (their concatenation is the content)."""

    content: str | None = None
    tool_calls: list[tuple[str, dict]] = field(default_factory=list)
    status: int = 200
    pieces: list[str] | None = None

    def __post_init__(self) -> None:
        if self.pieces is not None:
            self.content = "".join(self.pieces)

    @classmethod
    def tool(cls, name: str, args: dict | None = None) -> Reply:
        return cls(tool_calls=[(name, args or {})])


Scripted = Reply | Callable[[dict], Reply]


class ScriptedError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": "server_error", "code": None}}


class FakeOpenAIServer:
    def __init__(self, route: Route | None = None, script: Iterable[Scripted] | None = None
                 ) -> None:
        self.route: Route = route or (lambda text: None)
        self.script: deque[Scripted] | None = deque(script) if script is not None else None
        self.requests: list[dict] = []
        self._pieces: dict[str, list[str]] = {}  # completion id -> how to cut its stream
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_POST(self):  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                status = 200
                if self.path.endswith("/embeddings"):
                    payload = server.embeddings(body)
                else:
                    try:
                        payload = server.reply(body)
                    except ScriptedError as exc:
                        status, payload = exc.status, exc.body
                if status == 200 and body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Cache-Control", "no-cache")
                    self.end_headers()
                    for event in server.stream_events(body, payload,
                                                      server._pieces.get(payload["id"])):
                        self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                        self.wfile.flush()
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                    return
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    @property
    def chat_requests(self) -> list[dict]:
        """The chat-completions requests received, in order (embeddings left out)."""
        return [r for r in self.requests if "messages" in r]

    def __enter__(self) -> FakeOpenAIServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def embeddings(self, body: dict) -> dict:
        """OpenAI's /v1/embeddings shape; the vector encodes the text length and a letter."""
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = []
        for i, text in enumerate(texts):
            text = text if isinstance(text, str) else " ".join(map(str, text))
            data.append({"object": "embedding", "index": i,
                         "embedding": [float(len(text)), float("tesla" in text.lower()), 1.0]})
        return {"object": "list", "data": data, "model": body.get("model", "fake"),
                "usage": {"prompt_tokens": 1, "total_tokens": 1}}

    # ---- what to answer ----------------------------------------------------------------
    def next_reply(self, body: dict) -> Reply:
        """The script's next reply, or (without a script) the routed one."""
        if self.script is None:
            return self.routed(body)
        if not self.script:
            raise ScriptedError(500, "The test's script has no reply left for this request.")
        entry = self.script.popleft()
        return entry(body) if callable(entry) else entry

    def routed(self, body: dict) -> Reply:
        messages = body["messages"]
        last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
        tool_results = [m for m in messages[last_user + 1:] if m["role"] == "tool"]
        if tool_results:
            return Reply(content=f"Final: {tool_results[-1]['content']}")
        routed = self.route(messages[last_user]["content"])
        if routed is None:
            return Reply(content="I can only help with markets.")
        return Reply(tool_calls=[routed])

    def reply(self, body: dict) -> dict:
        """The chat.completion object answering ``body`` (streamed or not)."""
        spec = self.next_reply(body)
        if spec.status != 200:
            raise ScriptedError(spec.status, spec.content or f"HTTP {spec.status}")
        n = len(self.requests)
        message: dict[str, Any] = {"role": "assistant", "content": spec.content}
        finish = "stop"
        if spec.tool_calls:
            finish = "tool_calls"
            message["tool_calls"] = [{
                "id": f"call_{n}_{i}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            } for i, (name, args) in enumerate(spec.tool_calls)]
        if spec.pieces is not None:
            self._pieces[f"chatcmpl-{n}"] = list(spec.pieces)
        return {
            "id": f"chatcmpl-{n}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish,
                         "logprobs": None}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }

    @staticmethod
    def stream_events(body: dict, payload: dict, pieces: list[str] | None = None
                      ) -> list[dict]:
        """``payload`` (a chat.completion) as the chat.completion.chunk events OpenAI
        streams: role, content word by word (or in ``pieces`` when they still make up the
        content), tool calls, finish reason, usage."""
        choice = payload["choices"][0]
        message = choice["message"]
        content = message.get("content") or ""
        if pieces is None or "".join(pieces) != content:
            pieces = re.findall(r"\s*\S+\s*", content)

        def chunk(delta: dict, finish: str | None = None) -> dict:
            return {"id": payload["id"], "object": "chat.completion.chunk",
                    "created": payload["created"], "model": payload["model"],
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish,
                                 "logprobs": None}]}

        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": piece}) for piece in pieces]
        for i, call in enumerate(message.get("tool_calls") or []):
            events.append(chunk({"tool_calls": [{
                "index": i, "id": call["id"], "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""}}]}))
            events.append(chunk({"tool_calls": [{
                "index": i, "function": {"arguments": call["function"]["arguments"]}}]}))
        events.append(chunk({}, choice["finish_reason"]))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append({**chunk({}), "choices": [], "usage": payload["usage"]})
        return events
