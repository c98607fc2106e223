"""A hostile market-data server on 127.0.0.1: it answers Finnhub's ``/api/v1/quote`` and
Alpha Vantage's ``/query`` with whatever bad answer ``mode`` names (or a good one), and
counts the requests it got."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def finnhub_ok(price: float = 261.74) -> dict:
    return {"c": price, "d": 1.45, "dp": 0.557, "h": 263.31, "l": 260.68, "o": 261.07,
            "pc": 260.29, "t": int(time.time()) - 60}


def av_quote(price: str = "226.9900") -> dict:
    return {"Global Quote": {
        "01. symbol": "AAPL", "02. open": "226.4500", "03. high": "227.9800",
        "04. low": "224.3900", "05. price": price, "06. volume": "3432159",
        "07. latest trading day": "2026-11-23", "08. previous close": "227.2500",
        "09. change": "-0.2600", "10. change percent": "-0.1144%"}}


def _json(value: object) -> tuple[int, dict, bytes]:
    return 200, {"Content-Type": "application/json"}, json.dumps(value).encode()


def _raw(body: str, status: int = 200, content_type: str = "application/json",
         **headers: str) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": content_type, **headers}, body.encode()


# every answer a provider was seen to give, good or bad; "hang" and "midbody" are special
ANSWERS: dict[str, object] = {
    "ok": lambda: _json(finnhub_ok()),
    "http500": lambda: _raw('{"error": "internal"}', 500),
    "http502": lambda: _raw("<html>Bad Gateway</html>", 502, "text/html"),
    "http503": lambda: _raw("", 503, **{"Retry-After": "120"}),
    "http429": lambda: _raw('{"error": "API limit reached."}', 429, **{"Retry-After": "3600"}),
    "http429_date": lambda: _raw("{}", 429, **{"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}),
    "http403": lambda: _raw('{"error": "You don\'t have access to this resource."}', 403),
    "http401": lambda: _raw('{"error": "Invalid API key"}', 401),
    "http404": lambda: _raw("Not Found", 404, "text/plain"),
    "redirect": lambda: _raw("", 302, Location="http://127.0.0.1:1/elsewhere"),
    "html": lambda: _raw("<!DOCTYPE html><html><body>Captive portal</body></html>", 200,
                         "text/html"),
    "empty": lambda: _raw("", 200),
    "binary": lambda: (200, {"Content-Type": "application/json"}, b"\xff\xfe\x00garbage"),
    "list": lambda: _json([]),
    "null": lambda: _json(None),
    "string": lambda: _json("AAPL"),
    "number": lambda: _json(261.74),
    "c_abc": lambda: _json({**finnhub_ok(), "c": "abc"}),
    "c_numeric_string": lambda: _json({**finnhub_ok(), "c": "261.74"}),
    "c_nan": lambda: _raw('{"c": NaN, "d": 1, "dp": 1, "h": 1, "l": 1, "o": 1, "pc": 1, '
                          f'"t": {int(time.time())}}}'),
    "c_infinity": lambda: _raw(f'{{"c": Infinity, "t": {int(time.time())}}}'),
    "d_nan": lambda: _raw(f'{{"c": 261.5, "d": NaN, "dp": NaN, "t": {int(time.time())}}}'),
    "c_neg": lambda: _json({**finnhub_ok(), "c": -5}),
    "c_zero": lambda: _json({**finnhub_ok(), "c": 0}),
    "c_null": lambda: _json({**finnhub_ok(), "c": None}),
    "c_bool": lambda: _json({**finnhub_ok(), "c": True}),
    "c_list": lambda: _json({**finnhub_ok(), "c": [261.74]}),
    "c_huge": lambda: _raw(f'{{"c": 1e400, "t": {int(time.time())}}}'),
    "t_huge": lambda: _json({**finnhub_ok(), "t": 10 ** 20}),
    "t_text": lambda: _json({**finnhub_ok(), "t": "yesterday"}),
    "missing_keys": lambda: _json({"d": 1.45, "dp": 0.557}),
    "empty_object": lambda: _json({}),
    "unknown": lambda: _json({"c": 0, "d": None, "dp": None, "h": 0, "l": 0, "o": 0, "pc": 0,
                              "t": 0}),
    "unknown_short": lambda: _json({"c": 0, "t": 0}),
    "deep": lambda: _raw("[" * 100_000 + "]" * 100_000),
    # Alpha Vantage
    "av_ok": lambda: _json(av_quote()),
    "av_note": lambda: _json({"Note": "Thank you for using Alpha Vantage! Our standard API "
                                      "call frequency is 25 requests per day."}),
    "av_information": lambda: _json({"Information": "We have detected your API key as XYZ and "
                                                    "our standard API rate limit is 25 "
                                                    "requests per day."}),
    "av_error": lambda: _json({"Error Message": "Invalid API call. Please retry or visit the "
                                                "documentation for GLOBAL_QUOTE."}),
    "av_bad_key": lambda: _json({"Error Message": "the parameter apikey is invalid or "
                                                  "missing."}),
    "av_empty_quote": lambda: _json({"Global Quote": {}}),
    "av_quote_list": lambda: _json({"Global Quote": []}),
    "av_quote_null": lambda: _json({"Global Quote": None}),
    "av_no_price": lambda: _json({"Global Quote": {"01. symbol": "AAPL"}}),
    "av_price_abc": lambda: _json(av_quote("abc")),
    "av_price_neg": lambda: _json(av_quote("-5")),
    "av_price_zero": lambda: _json(av_quote("0")),
    "av_price_nan": lambda: _json(av_quote("nan")),
    "av_price_inf": lambda: _json(av_quote("inf")),
    "av_change_garbage": lambda: _json({"Global Quote": {**av_quote()["Global Quote"],
                                                         "10. change percent": "n/a"}}),
}


class FaultServer:
    def __init__(self, mode: str = "ok") -> None:
        self.mode = mode
        self.requests: list[str] = []
        self.release = threading.Event()  # ends "hang" answers at shutdown
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                server.requests.append(self.path)
                mode = server.mode
                if mode == "hang":
                    server.release.wait(30)
                    self.close_connection = True
                    return
                if mode == "midbody":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "500")
                    self.end_headers()
                    self.wfile.write(b'{"c": 261.74, "t": 17955')
                    self.wfile.flush()
                    self.close_connection = True
                    return
                status, headers, body = ANSWERS[mode]()  # type: ignore[operator]
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                       daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
