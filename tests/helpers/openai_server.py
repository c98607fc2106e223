"""A tiny OpenAI-compatible chat-completions server on 127.0.0.1 for tests.

It answers the first request of a turn with a tool call chosen by ``route`` and, once a
``tool`` message is present, with a final answer that quotes the tool's result.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAIServer:
    def __init__(self, route: Callable[[str], tuple[str, dict] | None]) -> None:
        self.route = route
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_POST(self):  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                if self.path.endswith("/embeddings"):
                    payload = server.embeddings(body)
                else:
                    payload = server.reply(body)
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

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

    def reply(self, body: dict) -> dict:
        messages = body["messages"]
        tool_results = [m for m in messages if m["role"] == "tool"]
        last_user = [m for m in messages if m["role"] == "user"][-1]["content"]
        message: dict
        finish = "stop"
        if tool_results:
            message = {"role": "assistant", "content": f"Final: {tool_results[-1]['content']}"}
        else:
            routed = self.route(last_user)
            if routed is None:
                message = {"role": "assistant", "content": "I can only help with markets."}
            else:
                name, args = routed
                finish = "tool_calls"
                message = {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{
                        "id": f"call_{len(self.requests)}",
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps(args)},
                    }],
                }
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish,
                         "logprobs": None}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
