"""Vector memory: recall by meaning with MiniLM; hashing embedder basics."""

from __future__ import annotations

from memory.decisions import DecisionMemory
from memory.embeddings import HashingEmbedder, MiniLMEmbedder, cosine

HISTORY = [
    (1, "alert_fired", "TSLA", "TSLA alert 4 fired", "TSLA crossed above $250", "snooze",
     "Snooze this alert for 1 hour"),
    (2, "content_ready", "NVDA", "NVDA earnings post ready", "Blog draft about NVDA earnings",
     "publish", "Publish it"),
    (3, "health_incident", None, "wordpress is down", "3 failed checks in a row", "restart",
     "Restart the component"),
    (4, "alert_fired", "AAPL", "AAPL alert 9 fired", "AAPL is at or below $180", "draft",
     "Draft a Discord post about AAPL"),
    (5, "briefing", None, "Pre-open briefing", "Watchlist movers", "ack", "Got it"),
]


def fill(memory: DecisionMemory) -> None:
    for did, kind, sym, title, ctx, chosen, label in HISTORY:
        memory.remember(decision_id=did, kind=kind, title=title, context=ctx, symbol=sym,
                        chosen=chosen, chosen_label=label, decided_by="owner", outcome="",
                        created_at=float(did))


def test_minilm_recall_finds_the_semantically_closest(tmp_path):
    memory = DecisionMemory(MiniLMEmbedder(), path=tmp_path / "chroma")
    fill(memory)
    assert memory.recall("mute Tesla notifications", 1)[0].decision_id == 1
    assert memory.recall("is the website broken", 1)[0].decision_id == 3
    assert memory.recall("post the Nvidia article", 1)[0].decision_id == 2


def test_memory_persists_and_filters_by_kind(tmp_path):
    memory = DecisionMemory(HashingEmbedder(), path=tmp_path / "chroma")
    fill(memory)
    again = DecisionMemory(HashingEmbedder(), path=tmp_path / "chroma")
    found = again.similar("alert fired TSLA", kind="alert_fired", k=5)
    assert {p.decision_id for p in found} == {1, 4}
    assert found[0].decision_id == 1 and found[0].chosen == "snooze"
    assert {p.decision_id for p in again.recall("anything at all", 10)} == {1, 2, 3, 4, 5}
    again.mark_undone(1, "alert_fired")
    assert again.similar("alert fired TSLA", kind="alert_fired", k=1)[0].chosen == "undone:snooze"


def test_hashing_embedder_is_deterministic_and_normalised():
    e = HashingEmbedder()
    a, b, c = e.embed(["snooze the TSLA alert", "snooze the TSLA alert", "publish a blog post"])
    assert a == b and abs(cosine(a, a) - 1) < 1e-6
    assert cosine(a, b) > cosine(a, c)


def test_openai_embedder_against_a_local_server():
    from memory.embeddings import OpenAIEmbedder
    from tests.helpers.openai_server import FakeOpenAIServer

    with FakeOpenAIServer(lambda text: None) as server:
        embedder = OpenAIEmbedder("sk-test", base_url=server.base_url, dim=3)
        vectors = embedder.embed(["mute Tesla", "publish the post"])
    assert vectors == [[10.0, 1.0, 1.0], [16.0, 0.0, 1.0]]
    assert server.requests[0]["model"] == "text-embedding-3-small"
