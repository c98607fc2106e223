"""show_draft, edit_draft and delete_draft: what the owner can see and change, the
grounding check on every edit, the LLM kept only when grounded, and a deleted draft's
decision closed with it."""

from __future__ import annotations

import pytest

from agent.runtime import open_runtime
from core.auth import Caller
from core.errors import InvalidInput, NotFound, PermissionDenied
from tests.tools.content.test_voice import FakeMarket, service
from tools.content.grounding import ungrounded
from tools.content.publishers import Published

OWNER = {"configurable": {"caller": Caller.local_owner()}}
GUEST = {"configurable": {"caller": Caller("guest", is_owner=False)}}


def tool(rt, name):
    return next(t for t in rt.tools if t.name == name)


class Sink:
    """A channel that keeps what it was sent."""

    channel, label, can_look_up = "discord", "the test channel", False

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def publish(self, draft):
        self.sent.append(draft.body)
        return Published(external_id=f"m{len(self.sent)}")

    async def find_existing(self, draft):
        return None

    async def probe(self) -> None:
        return None


async def test_show_draft_gives_text_status_channel_and_schedule(settings):
    async with open_runtime(settings) as rt:
        d = await rt.content.service.draft("AAPL breakout", "discord", "AAPL", "bullish",
                                           notify=False)
        shown = await tool(rt, "show_draft").ainvoke({"draft_id": d.id}, OWNER)
        assert shown["summary"].startswith(f"Draft {d.id} · discord · draft · bullish tone")
        assert "Title: AAPL breakout" in shown["summary"] and d.body.strip() in shown["summary"]
        rt.content.service.schedule(d.id, "2099-06-01 14:30")
        shown = await tool(rt, "show_draft").ainvoke({"draft_id": d.id}, OWNER)
        # a time without a zone is on the owner's clock, and shown on it
        assert "Scheduled for Mon 01 Jun 2099 14:30 EDT" in shown["summary"]
        assert rt.content.service.get(d.id).scheduled_for == 4084021800.0  # 18:30 UTC
        assert shown["status"] == "scheduled" and shown["channel"] == "discord"
        with pytest.raises(PermissionDenied):
            await tool(rt, "show_draft").ainvoke({"draft_id": d.id}, GUEST)
        with pytest.raises(NotFound, match="There is no draft 99"):
            await tool(rt, "show_draft").ainvoke({"draft_id": 99}, OWNER)


async def test_edit_body_is_grounding_checked(tmp_path):
    svc = service(tmp_path, FakeMarket({"AAPL": 4.0}))
    d = await svc.draft("AAPL", "discord", "AAPL", notify=False)
    price = d.source["quote"]["price"]
    rev = await svc.revise(d.id, body=f"AAPL at ${price:,.2f}. Not financial advice.")
    assert rev.changes == ["replaced the text"]
    assert svc.get(d.id).body == f"AAPL at ${price:,.2f}. Not financial advice.\n"
    with pytest.raises(InvalidInput, match=r"adds numbers the data doesn't support: \$999"):
        await svc.revise(d.id, body="AAPL to $999 by Friday.")
    with pytest.raises(InvalidInput, match="a Discord post holds at most 2,000"):
        await svc.revise(d.id, body="word " * 500)
    assert svc.get(d.id).body.startswith("AAPL at $")  # refused edits change nothing


async def test_edit_tone_rewrites_the_text_and_keeps_the_title(tmp_path):
    svc = service(tmp_path, FakeMarket({"AAPL": 25.31}))
    d = await svc.draft("AAPL run", "blog", "AAPL", "bullish", notify=False)
    await svc.revise(d.id, title="Apple's big month")
    rev = await svc.revise(d.id, tone="bearish")
    after = svc.get(d.id)
    assert rev.changes == ["rewrote it in a bearish tone"]
    assert after.tone == "bearish" and after.title == "Apple's big month"
    assert "contrarian view" in after.body and "## The bear case" in after.body
    assert "<h2>The bear case</h2>" in after.html
    assert ungrounded(after.body, after.source) == []
    with pytest.raises(InvalidInput, match="pick one of"):
        await svc.revise(d.id, tone="sarcastic")


async def test_instructions_the_offline_copilot_understands(tmp_path):
    svc = service(tmp_path, FakeMarket({"NVDA": 9.0}))
    d = await svc.draft("NVDA", "discord", "NVDA", "hype", notify=False)
    shorter = await svc.revise(d.id, instruction="make it shorter please")
    assert shorter.changes == ["made it shorter"]
    assert len(shorter.draft.body) < len(d.body) and "Not financial advice." in shorter.draft.body
    calmer = await svc.revise(d.id, instruction="tone it down, it's too hyped")
    assert calmer.draft.tone == "neutral" and "🔥" not in calmer.draft.body
    both = await svc.revise(d.id, instruction="make it bearish and punchier")
    assert both.changes == ["rewrote it in a bearish tone", "made it punchier"]
    assert both.draft.tone == "bearish"
    assert ungrounded(both.draft.body, both.draft.source) == []
    renamed = await svc.revise(d.id, instruction="rename it to NVDA keeps going")
    assert renamed.draft.title == "NVDA keeps going"


async def test_the_disclaimer_is_added_and_never_removed(tmp_path):
    svc = service(tmp_path, FakeMarket({"NVDA": 9.0}))
    d = await svc.draft("NVDA", "blog", "NVDA", notify=False)
    await svc.revise(d.id, body="NVDA is worth watching.")
    added = await svc.revise(d.id, instruction="add the disclaimer")
    assert added.changes == ["added the disclaimer"]
    assert added.draft.body.rstrip().endswith("*Not financial advice.*")
    kept = await svc.revise(d.id, instruction="remove the disclaimer")
    assert not kept.changed and kept.notes == ["The disclaimer stays: every post carries it."]
    assert "Not financial advice." in svc.get(d.id).body


async def test_an_instruction_it_cannot_follow_gets_one_sentence(tmp_path):
    svc = service(tmp_path, FakeMarket({"NVDA": 9.0}))
    d = await svc.draft("NVDA", "discord", "NVDA", notify=False)
    rev = await svc.revise(d.id, instruction="translate it into French")
    assert not rev.changed and len(rev.notes) == 1
    assert rev.notes[0].startswith("I can change its tone (neutral, bullish")
    assert rev.notes[0].count(".") == 1 and svc.get(d.id).body == d.body
    with pytest.raises(InvalidInput, match="Say what to change"):
        await svc.revise(d.id)


async def test_with_an_llm_the_instruction_is_applied_only_when_grounded(tmp_path):
    svc = service(tmp_path, FakeMarket({"NVDA": 9.0}))
    d = await svc.draft("NVDA", "discord", "NVDA", notify=False)
    asked: list[str] = []

    async def honest(text, channel, tone, instruction=""):
        asked.append(instruction)
        facts = text.split("\n\n")[2]
        return f"{facts}\n\nThat's the one-liner. More when it moves."  # no disclaimer

    svc.polisher = honest
    rev = await svc.revise(d.id, instruction="make it a one-liner for traders")
    assert asked == ["make it a one-liner for traders"]
    assert rev.changes == ["applied your request"] and rev.draft.polished
    assert rev.draft.body.startswith("- NVDA last traded") and "one-liner" in rev.draft.body
    assert "Not financial advice." in rev.draft.body  # put back when the LLM dropped it

    async def liar(text, channel, tone, instruction=""):
        return text + "\nPrice target: $777."

    svc.polisher = liar
    before = svc.get(d.id).body
    kept = await svc.revise(d.id, instruction="add a price target")
    assert not kept.changed and svc.get(d.id).body == before
    assert "added numbers the data doesn't support ($777)" in kept.notes[0]
    # offline understanding still applies when the LLM's rewrite is refused
    shorter = await svc.revise(d.id, instruction="shorter")
    assert shorter.changes == ["made it shorter"] and "$777" not in shorter.draft.body


async def test_published_drafts_cannot_be_edited_or_deleted(settings):
    async with open_runtime(settings) as rt:
        svc = rt.content.service
        d = await svc.draft("AAPL", "discord", "AAPL", notify=False)
        svc._set(d.id, status="published", external_url="https://discord.test/m/1")
        edit = tool(rt, "edit_draft")
        with pytest.raises(InvalidInput, match="already published .* so it can't be edited"):
            await edit.ainvoke({"draft_id": d.id, "tone": "bearish"}, OWNER)
        with pytest.raises(InvalidInput, match="already published .* so it can't be deleted"):
            await tool(rt, "delete_draft").ainvoke({"draft_id": d.id}, OWNER)
        svc._set(d.id, status="publishing")
        with pytest.raises(InvalidInput, match="being published right now"):
            await tool(rt, "delete_draft").ainvoke({"draft_id": d.id}, OWNER)
        assert svc.get(d.id).body == d.body


async def test_delete_closes_the_pending_decision(settings):
    async with open_runtime(settings) as rt:
        svc = rt.content.service
        d = await svc.draft("AAPL", "discord", "AAPL", notify=True)
        pending = rt.decisions.pending("content_ready")
        assert [p.source_key for p in pending] == [f"draft:{d.id}"]
        with pytest.raises(PermissionDenied):
            await tool(rt, "delete_draft").ainvoke({"draft_id": d.id}, GUEST)
        gone = await tool(rt, "delete_draft").ainvoke({"draft_id": d.id}, OWNER)
        assert gone["summary"] == (f"Deleted draft {d.id} (“Apple (AAPL)”, discord). Closed its "
                                   f"pending decision {pending[0].id}.")
        assert rt.decisions.pending() == []
        assert rt.decisions.get(pending[0].id).status == "closed"
        with pytest.raises(NotFound):
            svc.get(d.id)
        other = await svc.draft("TSLA", "blog", "TSLA", notify=False)
        quiet = await tool(rt, "delete_draft").ainvoke({"draft_id": other.id}, OWNER)
        assert quiet["closed_decisions"] == [] and "decision" not in quiet["summary"]


async def test_a_draft_edited_after_its_decision_publishes_the_edited_text(settings):
    async with open_runtime(settings) as rt:
        svc = rt.content.service
        sink = Sink()
        svc.publishers["discord"] = sink
        d = await svc.draft("AAPL", "discord", "AAPL", notify=True)
        decision = rt.decisions.pending("content_ready")[0]
        rev = await tool(rt, "edit_draft").ainvoke({"draft_id": d.id, "tone": "bearish"}, OWNER)
        assert rev["changed"] and "bear case" in rev["body"]
        done = await rt.decisions.decide(decision.id, "publish", Caller.local_owner())
        assert done.outcome.startswith(f"Published draft {d.id}")
        assert sink.sent == [rev["body"]]  # not the text the decision was raised with
        # an edit made in the decision itself still wins
        d2 = await svc.draft("TSLA", "discord", "TSLA", notify=True)
        decision2 = rt.decisions.pending("content_ready")[0]
        await rt.decisions.decide(decision2.id, "publish", Caller.local_owner(),
                                  edits={"body": "TSLA, my way. Not financial advice."})
        assert sink.sent[-1] == "TSLA, my way. Not financial advice.\n"
        assert svc.get(d2.id).status == "published"


async def test_edit_through_the_agent_tool_reports_what_changed(settings):
    async with open_runtime(settings) as rt:
        d = await rt.content.service.draft("NVDA", "discord", "NVDA", notify=False)
        out = await tool(rt, "edit_draft").ainvoke(
            {"draft_id": d.id, "tone": "cautious", "title": "NVDA: wait for it"}, OWNER)
        assert out["summary"].startswith(f"Draft {d.id}: renamed it “NVDA: wait for it” and "
                                         "rewrote it in a cautious tone.")
        assert "**NVDA: wait for it: not so fast**" in out["summary"]
        nothing = await tool(rt, "edit_draft").ainvoke(
            {"draft_id": d.id, "instruction": "make it rhyme"}, OWNER)
        assert not nothing["changed"] and nothing["summary"].startswith("I can change its tone")
        with pytest.raises(PermissionDenied):
            await tool(rt, "edit_draft").ainvoke({"draft_id": d.id, "tone": "hype"}, GUEST)


async def test_the_llm_gets_the_edit_prompt_with_the_request():
    from tools.content.capability import make_polisher

    class Recorder:
        def __init__(self) -> None:
            self.systems: list[str] = []

        async def complete(self, system: str, user: str) -> str:
            self.systems.append(system)
            return user

    llm = Recorder()
    polisher = make_polisher(llm)
    await polisher("text", "discord", "bullish")
    await polisher("text", "blog", "bullish", "make it {punchier}")
    polish, edit = llm.systems
    assert "Rewrite the draft" in polish and "make it" not in polish
    assert "make it {punchier}" in edit and "Apply the owner's request" in edit
    assert "Keep the markdown headings." in edit and "Never claim something" in edit


async def test_edit_instruction_through_a_configured_llm(monkeypatch):
    from core.settings import Settings
    from tests.helpers.openai_server import FakeOpenAIServer, Reply

    def echo(body):  # the draft's polish: the text as it came
        return Reply(content=body["messages"][-1]["content"])

    def punchy(body):
        return Reply(content="Punchy. " + body["messages"][-1]["content"])

    def inventive(body):
        return Reply(content=body["messages"][-1]["content"] + "\nTarget $4,321.")

    with FakeOpenAIServer(script=[echo, punchy, inventive]) as server:
        monkeypatch.setenv("COPILOT_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("COPILOT_LLM_MODEL", "local-test")
        async with open_runtime(Settings()) as rt:
            d = await rt.content.service.draft("AAPL", "discord", "AAPL", notify=False)
            assert d.polished
            edit = tool(rt, "edit_draft")
            out = await edit.ainvoke({"draft_id": d.id, "instruction": "make it punchier"},
                                     OWNER)
            assert out["summary"].startswith(f"Draft {d.id}: applied your request.")
            assert out["body"].rstrip() == "Punchy. " + d.body.rstrip()
            refused = await edit.ainvoke({"draft_id": d.id, "instruction": "add a target"},
                                         OWNER)
            assert not refused["changed"] and "$4,321" in refused["summary"]
            assert rt.content.service.get(d.id).body == out["body"]
    system = server.chat_requests[1]["messages"][0]["content"]
    assert "make it punchier" in system and "Keep every number exactly as it is" in system
