"""Dialogue state: what the conversation so far points at, read from the thread itself
(the model's earlier tool calls and the tools' results), so "it", "that one", "make it
190", "same for AMD" and "publish it" resolve to the last alert, draft, decision or
symbol. Nothing is kept outside the thread: a restart, a new process or another front
end reading the same checkpoint sees the same state."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agent.offline.extract import find_symbols
from agent.offline.normalize import simplify
from core.grammar import Context

ALERT_TOOLS = ("create_alert", "update_alert", "delete_alert", "snooze_alert")
DRAFT_TOOLS = ("draft_content", "show_draft", "edit_draft", "schedule_content",
               "publish_content", "delete_draft")
LOOKS = ("get_quote", "get_price_history", "price_chart", "compare_returns", "market_status")
ASKED = "offline_asked"  # marks a reply of the offline model that is a question
PROPOSED = "offline_proposed"  # the calls a question proposes ("Do you want me to ...?")


def _result(message: ToolMessage) -> dict[str, Any]:
    if getattr(message, "status", "success") == "error":
        return {"error": True}
    content = message.content
    if not isinstance(content, str):
        return {}
    try:
        data = json.loads(content)
    except (json.JSONDecodeError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def _text(message: BaseMessage) -> str:
    return message.content if isinstance(message.content, str) else ""


def read_context(messages: list[BaseMessage]) -> Context:
    """The context at the end of ``messages`` (the turns before the one being answered)."""
    ctx = Context()
    results: dict[str, dict[str, Any]] = {}
    for m in messages:
        if isinstance(m, ToolMessage):
            results[m.tool_call_id] = _result(m)
    human = ""
    turn: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for m in messages:
        if isinstance(m, HumanMessage):
            _end_turn(ctx, turn, human)
            ctx.turns += 1
            human, turn = _text(m), []
            ctx.pending = None
            ctx.proposed = []
            continue
        if not isinstance(m, AIMessage):
            continue
        if not m.tool_calls:
            asked = m.additional_kwargs.get(ASKED)
            ctx.pending = human if asked and not turn else None
            proposed = m.additional_kwargs.get(PROPOSED) or []
            ctx.proposed = [(str(c[0]), dict(c[1])) for c in proposed
                            if isinstance(c, list | tuple) and len(c) == 2
                            and isinstance(c[1], dict)]
            continue
        for call in m.tool_calls:
            name, args = call["name"], dict(call.get("args") or {})
            result = results.get(str(call.get("id")), {})
            turn.append((name, args, result))
            ctx.last_calls = [(n, a) for n, a, _ in turn]
            _apply(ctx, name, args, result)
    _end_turn(ctx, turn, human)
    return ctx


def _remember_symbols(ctx: Context, symbols: list[str]) -> None:
    for s in symbols:
        if s in ctx.recent_symbols:
            ctx.recent_symbols.remove(s)
        ctx.recent_symbols.append(s)
    ctx.recent_symbols = ctx.recent_symbols[-8:]


def _end_turn(ctx: Context, turn: list[tuple[str, dict[str, Any], dict[str, Any]]],
              human: str) -> None:
    """What a whole turn points at: several alerts or drafts made at once stay candidates
    ("delete it" then asks which); several symbols looked at stay "them"; a ticker said in
    a turn that called no tool (a refused or unclear request) is still "it"."""
    said = find_symbols(human, simplify(human)) if human else []
    if said and not any(a.get("symbol") for _, a, _ in turn):
        ctx.symbols = said
    _remember_symbols(ctx, said + [str(a["symbol"]).upper() for _, a, _ in turn
                                   if a.get("symbol")])
    quoted = [{"symbol": r.get("symbol") or a.get("symbol"), "price": r.get("price")}
              for n, a, r in turn if n == "get_quote" and isinstance(r.get("price"), int | float)]
    if quoted:
        ctx.quotes = quoted
    made = [(a, r) for n, a, r in turn if n == "create_alert" and r.get("alert_id")]
    if made:
        new = [{"id": r["alert_id"], **{k: v for k, v in a.items() if k != "force"}}
               for a, r in made]
        ctx.alerts = _recent(ctx.alerts, new)
        ctx.alert_ambiguous = len(made) > 1
    drafted = [(a, r) for n, a, r in turn if n == "draft_content" and r.get("draft_id")]
    if drafted:
        new = [{"id": r["draft_id"], "symbol": a.get("symbol"), "topic": a.get("topic", ""),
                "tone": a.get("tone"), "channel": r.get("channel") or a.get("channel"),
                "decision_id": r.get("decision_id"), "options": r.get("options") or []}
               for a, r in drafted]
        ctx.drafts = _recent(ctx.drafts, new)
        ctx.draft_ambiguous = len(drafted) > 1
    looked = [a.get("symbol") for n, a, _ in turn if a.get("symbol")]
    if len(turn) > 1 and len(set(looked)) > 1:
        ctx.symbols = [str(s).upper() for s in dict.fromkeys(looked)]
    if turn and all(n in LOOKS for n, _, _ in turn):
        seen = [str(s).upper() for _, a, _ in turn for s in (a.get("symbols") or [a.get("symbol")])
                if s]
        ctx.looked_at = list(dict.fromkeys(ctx.looked_at + seen))[-6:]
    elif turn:
        ctx.looked_at = []


def _silence(s: dict[str, Any]) -> dict[str, Any]:
    """A silence as a candidate for "the tsla one" / "the discord one" / "the first one"."""
    found = s.get("matchers")
    m: dict[str, Any] = found if isinstance(found, dict) else {}
    return {"id": s.get("id"), "kind": s.get("kind"), "symbol": m.get("symbol"),
            "component": m.get("component"),
            "topic": " ".join(str(v) for v in m.values())}


def _recent(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {n["id"] for n in new}
    return ([o for o in old if o.get("id") not in ids] + new)[-6:]


def _apply(ctx: Context, name: str, args: dict[str, Any], result: dict[str, Any]) -> None:
    ok = not result.get("error")
    ctx.last_tool, ctx.last_args = name, args
    symbol = args.get("symbol") or result.get("symbol")
    if symbol:
        ctx.symbols = [str(symbol).upper()]
    elif name == "compare_returns" and isinstance(args.get("symbols"), list):
        ctx.symbols = [str(s).upper() for s in args["symbols"]]
    if args.get("days"):
        ctx.days = int(args["days"])
    if "period" in args:
        ctx.period = args.get("period")
    if name in ALERT_TOOLS and ok:
        alert_id = result.get("alert_id") or args.get("alert_id")
        if alert_id:
            ctx.alert_id = int(alert_id)
        alert = result.get("alert")
        if isinstance(alert, dict):
            if name == "update_alert":
                ctx.alert_before = dict(ctx.alert)
            ctx.alert = alert
        elif name == "create_alert" and not result.get("created", True):
            ctx.alert = {**args, "proposed": True}  # asked to confirm: "yes" / "force it"
        elif name == "update_alert" and not result.get("updated", True):
            ctx.alert = {**ctx.alert, "proposed_update": dict(args)}
        if name != "create_alert" and alert_id:
            ctx.alert_ambiguous = False
            if name == "delete_alert":  # gone: no longer "it", still what "instead" is about
                gone = next((a for a in ctx.alerts if a.get("id") == alert_id), None)
                if gone is not None or ctx.alert.get("id") != alert_id:
                    ctx.alert = dict(gone or {"id": alert_id})
                ctx.alerts = [a for a in ctx.alerts if a.get("id") != alert_id]
                ctx.alert_id = None
                ctx.alert = {**ctx.alert, "deleted": True}
    elif name == "list_alerts" and ok:
        alerts = [a for a in result.get("alerts") or [] if isinstance(a, dict)]
        if alerts:  # a full list is what exists; one ticker's adds to what was made
            ctx.alerts = _recent(ctx.alerts, alerts) if args.get("symbol") else alerts[-12:]
            ctx.alert_ambiguous = len(alerts) > 1
        if len(alerts) == 1:
            ctx.alert_id, ctx.alert = alerts[0].get("id"), alerts[0]

    if name in DRAFT_TOOLS and ok:
        draft_id = result.get("draft_id") or args.get("draft_id")
        if draft_id:
            ctx.draft_id = int(draft_id)
            ctx.draft_by_recency = name == "draft_content"
            if name != "draft_content":
                ctx.draft_ambiguous = False
            if name == "delete_draft":  # gone: no longer "it"
                ctx.drafts = [d for d in ctx.drafts if d.get("id") != draft_id]
                ctx.draft_id = None
            if name == "publish_content":  # out: no longer one "it" could mean
                for d in ctx.drafts:
                    d["done"] = bool(d.get("done")) or d.get("id") == draft_id
        if result.get("channel"):
            ctx.channel = result["channel"]
    elif name == "list_drafts" and ok:
        drafts = [d for d in result.get("drafts") or [] if isinstance(d, dict)]
        if len(drafts) == 1:
            ctx.draft_id = drafts[0].get("id")
    found = result.get("decision")
    decision: dict[str, Any] = found if isinstance(found, dict) else {}
    decision_id = result.get("decision_id") or decision.get("id") or (
        args.get("decision_id") if name in ("decide", "undo") else None)
    if decision_id:
        ctx.decision_id = int(decision_id)
        ctx.decision_kind = result.get("kind") or decision.get("kind") or (
            "content_ready" if name == "draft_content" else ctx.decision_kind)
        if name in ("decide", "undo"):  # answering a draft's question puts that draft in focus
            for d in ctx.drafts:
                if d.get("decision_id") == int(decision_id):
                    ctx.draft_id = d.get("id")
                    ctx.draft_by_recency = False
                    skipped = name == "decide" and str(args.get("option")) in ("skip", "2")
                    d["skipped"] = skipped
        options = result.get("options") or decision.get("options") or []
        ctx.decision_options = [str(o.get("id") if isinstance(o, dict) else o) for o in options]
    if name == "pending_decisions" and ok:
        pending = result.get("decisions") or []
        if pending and isinstance(pending[-1], dict):
            ctx.decision_id = pending[-1].get("id")
            ctx.decision_kind = pending[-1].get("kind")
            ctx.decision_options = [str(o.get("id")) for o in pending[-1].get("options") or []
                                    if isinstance(o, dict)]
    silence = result.get("silence")
    if isinstance(silence, dict) and silence.get("id"):
        ctx.silence_id = int(silence["id"])
        ctx.silences = _recent(ctx.silences, [_silence(silence)])
    if name == "silences" and ok:
        listed = [_silence(s) for s in result.get("silences") or [] if isinstance(s, dict)]
        ctx.silences = listed[-12:]
        if len(listed) == 1:
            ctx.silence_id = listed[0]["id"]
    if name in ("silence", "acknowledge") and args.get("component"):
        ctx.component = args["component"]
    if name == "decide_all" and args.get("kind"):
        ctx.decision_kind = args["kind"]
    if name == "autopilot":
        ctx.autopilot_kind = args.get("kind") or ctx.autopilot_kind
    if name in ("system_health", "recent_errors") and args.get("component"):
        ctx.component = args["component"]
