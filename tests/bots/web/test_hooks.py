"""Inbound alert hooks on `copilot run`'s server: TradingView's (secret in the path, JSON or
plain text) and the generic one (secret in a header). An accepted hook lands in the
history, reaches every target exactly once even when posted twice with the same id, and
raises a decision; a wrong secret stores nothing; bad, oversized or too many hooks get a
4xx with one sentence."""

from __future__ import annotations

import asyncio
import json
import os
import stat

import httpx
from sqlmodel import Session, select

from bots.web.auth import hook_secret
from core.settings import Settings
from tests.bots.web.conftest import serve_copilot, wait_until
from tools.alerts.console import ConsoleNotice
from tools.alerts.inbound import HookReceipt, parse_tradingview
from tools.alerts.models import Firing, Notification

SECRET = "hook-secret-0123456789abcdef"


def client(url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, follow_redirects=False, timeout=10)


def rows(rt, model) -> list:  # noqa: ANN001
    with Session(rt.kernel.db) as s:
        return list(s.exec(select(model)).all())


async def test_a_hook_posted_twice_with_one_id_lands_once_and_is_delivered_once(
        web_env, monkeypatch):
    monkeypatch.setenv("COPILOT_HOOK_SECRET", SECRET)
    async with serve_copilot() as served, client(served.url) as http:
        rt = served.rt
        body = {"id": "tv-42", "ticker": "NASDAQ:AAPL", "price": 201.5,
                "message": "AAPL crossing 200 on the 1h"}
        first = await http.post(f"/hooks/tradingview/{SECRET}", json=body)
        again = await http.post(f"/hooks/tradingview/{SECRET}", json=body)
        assert first.status_code == again.status_code == 200
        assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
        assert again.json()["firing_id"] == first.json()["firing_id"]
        firings = rows(rt, Firing)
        assert len(firings) == 1 and firings[0].symbol == "AAPL" and firings[0].price == 201.5
        assert "AAPL crossing 200" in firings[0].message and "TradingView" in firings[0].message
        await rt.alerts.dispatcher.step(flush=True)  # the running dispatcher may be first
        await wait_until(lambda: all(n.status == "sent" for n in rows(rt, Notification))
                         and rows(rt, Notification))
        notes = rows(rt, Notification)
        assert [(n.target, n.status) for n in notes] == [("console", "sent")]
        assert len(rows(rt, ConsoleNotice)) == 1
        records, total, _ = rt.alerts.service.history("AAPL")
        assert total == 1 and records[0].deliveries[0].state == "sent"
        decision = await wait_until(lambda: [d for d in rt.decisions.pending()
                                             if d.kind == "alert_fired"])
        assert len(decision) == 1 and decision[0].title == "AAPL alert came in"
        assert {o.id for o in decision[0].options} == {"draft", "dismiss"}


async def test_a_wrong_secret_is_not_found_and_stores_nothing(web_env, monkeypatch):
    monkeypatch.setenv("COPILOT_HOOK_SECRET", SECRET)
    async with serve_copilot() as served, client(served.url) as http:
        body = {"symbol": "AAPL", "message": "x", "id": "1"}
        for response in [await http.post("/hooks/tradingview/guess", json=body),
                         await http.post("/hooks/alert", json=body),
                         await http.post("/hooks/alert", json=body,
                                         headers={"X-Copilot-Secret": "guess"})]:
            assert response.status_code == 404
        assert rows(served.rt, Firing) == [] and rows(served.rt, HookReceipt) == []


async def test_the_generic_hook_plain_text_and_a_proxy_host(web_env, monkeypatch):
    monkeypatch.setenv("COPILOT_HOOK_SECRET", SECRET)
    async with serve_copilot() as served, client(served.url) as http:
        head = {"X-Copilot-Secret": SECRET, "host": "victor.example.com"}
        ok = await http.post("/hooks/alert", headers=head,
                             json={"symbol": "msft", "price": "410.25",
                                   "message": "Azure function: MSFT earnings beat"})
        assert ok.status_code == 200, ok.text
        text = await http.post(f"/hooks/tradingview/{SECRET}",
                               content=b"BINANCE:BTCUSDT crossing up, price = 97,500.5",
                               headers={"content-type": "text/plain",
                                        "host": "abc.trycloudflare.com"})
        assert text.status_code == 200, text.text
        by_symbol = {f.symbol: f for f in rows(served.rt, Firing)}
        assert by_symbol["MSFT"].price == 410.25 and by_symbol["BTCUSDT"].price == 97500.5
        # the rest of the site still answers to loopback names only
        assert (await http.get("/login", headers={"host": "victor.example.com"})
                ).status_code == 421


async def test_bad_oversized_and_too_many_hooks_get_one_sentence(web_env, monkeypatch):
    monkeypatch.setenv("COPILOT_HOOK_SECRET", SECRET)
    monkeypatch.setenv("COPILOT_HOOK_RATE", "12")  # 12 a minute, 2 a second
    async with serve_copilot() as served, client(served.url) as http:
        head = {"X-Copilot-Secret": SECRET}
        cases = [(b"{not json", 400, "not valid JSON"),
                 (b"[1, 2]", 400, "JSON object"),
                 (json.dumps({"message": "no ticker"}).encode(), 400, "needs a symbol"),
                 (json.dumps({"symbol": "AAPL"}).encode(), 400, "needs a message"),
                 (json.dumps({"symbol": "AAPL", "message": "m", "price": "abc"}).encode(),
                  400, "not a number"),
                 (b"x" * 20_000, 413, "larger than")]
        for body, status, words in cases:
            response = await http.post("/hooks/alert", content=body, headers=head)
            assert response.status_code == status, (body[:30], response.text)
            assert words in response.text and "Traceback" not in response.text
            assert response.text.count(".") <= 2  # one sentence
            await asyncio.sleep(0.55)  # stay under 2 a second
        assert rows(served.rt, Firing) == []
        statuses = []
        for i in range(12):
            r = await http.post("/hooks/alert", headers=head,
                                json={"symbol": "AAPL", "message": f"m{i}", "id": str(i)})
            statuses.append(r.status_code)
            if r.status_code == 429:
                assert "Too many hooks" in r.text
        assert 429 in statuses and 200 in statuses
        assert len(rows(served.rt, Firing)) == statuses.count(200)


def test_the_secret_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("COPILOT_HOOK_SECRET", raising=False)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    settings = Settings()
    made = hook_secret(settings)
    assert made.generated and len(made.value) >= 32 and made.path is not None
    assert stat.S_IMODE(os.stat(made.path).st_mode) == 0o600
    kept = hook_secret(settings)
    assert kept.value == made.value and not kept.generated


def test_copilot_config_shows_the_generated_secret(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli.core import app

    monkeypatch.delenv("COPILOT_HOOK_SECRET", raising=False)
    monkeypatch.setenv("COPILOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COLUMNS", "300")
    shown = CliRunner().invoke(app, ["config"])
    assert shown.exit_code == 0, shown.output
    value = hook_secret(Settings()).value
    assert value in shown.output
    monkeypatch.setenv("COPILOT_HOOK_SECRET", "mine-0123456789")
    masked = CliRunner().invoke(app, ["config"])
    assert "mine-0123456789" not in masked.output


def test_tradingview_bodies_are_read_as_sent():
    hook = parse_tradingview(b'{"ticker": "AAPL", "close": "199.9", "text": "down"}')
    assert (hook.symbol, hook.price, hook.message, hook.external_id) == (
        "AAPL", 199.9, "down", None)
    plain = parse_tradingview(b"Alert on NVDA: RSI above 70", "abc")
    assert (plain.symbol, plain.price, plain.external_id) == ("NVDA", None, "abc")
    anonymous = parse_tradingview(b"something happened")
    assert anonymous.symbol == "TRADINGVIEW"
