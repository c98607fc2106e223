"""Publishing in a hostile world: a WordPress slower than our timeout plus a SIGKILL mid-
publish, and a WordPress that is down when `copilot run` starts. Real processes and a
local WordPress stand-in; every draft must be posted exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from sqlmodel import Session, select

from agent.runtime import open_runtime
from core.lease import read_instance
from core.settings import Settings
from core.storage import make_engine
from tests.helpers.smtp import free_port
from tests.tools.content.channels import WordPress
from tools.content.models import ContentDraft

ROOT = Path(__file__).resolve().parents[2]


def use_wordpress(monkeypatch, url: str) -> dict[str, str]:
    values = {"WORDPRESS_URL": url, "WORDPRESS_USER": "victor",
              "WORDPRESS_APP_PASSWORD": "abcd efgh ijkl mnop"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return {**os.environ, **values, "PYTHONPATH": str(ROOT)}


def statuses(settings: Settings) -> dict[int, str]:
    db = make_engine(settings.db_url)
    try:
        with Session(db) as s:
            return {d.id: d.status for d in s.exec(select(ContentDraft))}
    finally:
        db.dispose()


async def until(condition, timeout_s: float = 15.0):  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)
    return value


PUBLISH_ALL = textwrap.dedent("""
    import asyncio
    from agent.runtime import open_runtime
    from tools.content.publishers import PublishFailed

    async def main():
        async with open_runtime() as rt:
            service = rt.content.service
            service.publishers["blog"].timeout_s = 0.3
            for d in service.drafts("draft"):
                try:
                    await service.publish(d.id)
                except PublishFailed:
                    pass  # in doubt: it stays 'publishing' for recovery

    asyncio.run(main())
""")


async def test_slow_wordpress_and_a_sigkill_mid_publish_post_every_draft_once(tmp_path,
                                                                             monkeypatch):
    with WordPress() as wp:
        # slower than the 0.3 s timeout, and each post lands 1.5 s after it was sent: a
        # lookup right after the restart does not find it yet
        wp.store_after_s, wp.reply_after_s = 1.5, 2.0
        env = use_wordpress(monkeypatch, wp.url)
        settings = Settings()
        async with open_runtime(settings) as rt:
            drafts = [await rt.content.service.draft(f"{sym} recap", "blog", notify=False)
                      for sym in ("AAPL", "MSFT", "NVDA", "TSLA", "AMD", "META")]
        first = subprocess.Popen([sys.executable, "-c", PUBLISH_ALL], env=env, cwd=tmp_path,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while wp.posts_sent() < 3 and time.monotonic() < deadline:
                assert first.poll() is None, first.communicate()
                time.sleep(0.01)
        finally:
            first.send_signal(signal.SIGKILL)  # mid-publish: the third post is in flight
            first.communicate()
        assert 3 <= wp.posts_sent() < len(drafts)
        left = statuses(settings)
        assert "publishing" in left.values() and "draft" in left.values()

        async with open_runtime(Settings()) as rt:  # the restart
            service = rt.content.service
            service.publishers["blog"].timeout_s = 0.3
            service.settle_s = 4.0  # a send is only repeated once it had time to land
            rt.content.recovery_base_s, rt.content.recovery_max_s = 0.2, 0.5
            await rt.start()
            for d in service.drafts("draft"):
                try:
                    await service.publish(d.id)
                except Exception as exc:  # noqa: BLE001 - in doubt, recovery finishes it
                    assert "stays 'publishing'" in str(exc)
            await until(lambda: all(d.status == "published" for d in service.drafts()))
            published = {d.id: d.external_id for d in service.drafts()}
    assert sorted(wp.slugs()) == sorted(f"copilot-draft-{d.id}" for d in drafts)  # once each
    assert wp.posts_sent() == len(drafts)
    by_slug = {p["slug"]: str(p["id"]) for p in wp.posts}
    assert published == {d.id: by_slug[f"copilot-draft-{d.id}"] for d in drafts}


async def test_wordpress_down_at_start_then_back_finishes_without_a_duplicate(monkeypatch):
    port = free_port()
    wp = WordPress(port=port)  # not listening yet: WordPress is down
    use_wordpress(monkeypatch, wp.url)
    async with open_runtime(Settings()) as rt:  # the process that crashed mid-publish
        service = rt.content.service
        sent = await service.draft("AAPL recap", "blog", notify=False)
        unsent = await service.draft("NVDA recap", "blog", notify=False)
        for d in (sent, unsent):
            service._claim(d.id)
        service._set(sent.id, sent_at=rt.clock() - 600)  # its post went out before the crash
        wp.add({"slug": f"copilot-draft-{sent.id}", "title": sent.title, "status": "publish"})

    async with open_runtime(Settings()) as rt:
        rt.content.recovery_base_s, rt.content.recovery_max_s = 0.2, 0.5
        service = rt.content.service
        inbox = rt.notices()
        await rt.start()  # never waits on WordPress
        assert rt.kernel.supervisor.states["content-recovery"].state == "running"
        await until(lambda: "blog" in service.channel_errors)
        assert {d.id: d.status for d in service.drafts()} == {sent.id: "publishing",
                                                               unsent.id: "publishing"}
        assert service.get(unsent.id).last_error.startswith("Waiting for WordPress to answer")
        down = await rt.health.monitor.run("content")
        assert down.status == "down"
        assert "blog (WordPress) down: WordPress is unreachable" in down.detail
        assert "2 draft(s) waiting to finish publishing" in down.detail

        wp.start()  # WordPress is back
        try:
            await until(lambda: all(d.status == "published" for d in service.drafts()))
            assert service.get(sent.id).external_id == "100"  # found, not posted again
            await rt.kernel.bus.drain()
            told = [n.text for n in inbox.drain()]
            assert f"✅ Draft {unsent.id} is published to blog: http://127.0.0.1/?p=101." in told
            up = await rt.health.monitor.run("content")
            assert up.status == "ok" and up.detail == "blog (WordPress) ok"
        finally:
            wp.stop()
    assert sorted(wp.slugs()) == sorted([f"copilot-draft-{sent.id}", f"copilot-draft-{unsent.id}"])
    assert wp.posts_sent() == 1  # only the draft that never went out was sent


def test_copilot_run_starts_while_wordpress_is_down_and_finishes_the_draft(tmp_path,
                                                                          monkeypatch):
    port = free_port()
    wp = WordPress(port=port)
    env = use_wordpress(monkeypatch, wp.url)
    settings = Settings()

    async def interrupted() -> int:
        async with open_runtime(settings) as rt:
            d = await rt.content.service.draft("AAPL recap", "blog", notify=False)
            rt.content.service._claim(d.id)  # the process died before the send began
            return d.id

    draft_id = asyncio.run(interrupted())
    log = tmp_path / "run.err"
    with log.open("w") as stderr:
        run = subprocess.Popen([sys.executable, "-m", "cli", "run", "--no-console"], env=env,
                               cwd=tmp_path, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=stderr)
    db = make_engine(settings.db_url)
    try:
        deadline = time.monotonic() + 60
        while (instance := read_instance(db)) is None or instance.pid != run.pid:
            assert run.poll() is None, log.read_text()  # it did not refuse to start
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert statuses(settings)[draft_id] == "publishing"
        wp.start()
        while statuses(settings)[draft_id] != "published" or "headless" not in log.read_text():
            assert run.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=20)
        wp.stop()
        db.dispose()
    err = log.read_text()
    assert run.returncode == 0, err
    assert "Traceback" not in err
    assert wp.slugs() == [f"copilot-draft-{draft_id}"]
