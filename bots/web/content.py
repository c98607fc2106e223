"""The Content page: the editorial calendar (slots and scheduled posts), drafts (edit,
schedule, publish, draft a new one) and engagement by topic and by symbol as charts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bots.web.charts import bar_chart
from bots.web.inbox import path_id

if TYPE_CHECKING:
    from bots.web.app import Web

TONES = ["neutral", "bullish", "bearish", "cautious", "educational", "hype", "casual"]


def _by(rows: list[dict[str, Any]], key: str) -> list[tuple[str, float]]:
    totals: dict[str, float] = {}
    for row in rows:
        totals[row[key]] = totals.get(row[key], 0.0) + float(row["engagement"])
    return sorted(totals.items(), key=lambda kv: -kv[1])[:12]


def routes(web: Web) -> list[Route]:
    from bots.web.app import page

    control = web.copilot.control
    tool = web.copilot.run_tool

    async def content(request: Request) -> dict[str, Any]:
        stats = control.engagement()
        return {"drafts": control.drafts(), "calendar": await control.calendar(),
                "slots": web.copilot.settings.content_slots, "stats": stats,
                "by_topic": bar_chart(_by(stats, "topic"), label="engagement by topic"),
                "by_symbol": bar_chart(_by(stats, "symbol"), label="engagement by symbol"),
                "tones": TONES}

    async def edit(request: Request) -> Response:
        draft_id = path_id(request)

        async def run(caller: Any, form: Any) -> str:
            before = web.copilot.content.service.get(draft_id)
            body = str(form.get("body") or "").replace("\r\n", "\n")
            title = str(form.get("title") or "").strip()
            tone = str(form.get("tone") or "").strip()
            args: dict[str, Any] = {"draft_id": draft_id}
            if body.strip() and body.strip() != before.body.strip():
                args["body"] = body
            if title and title != before.title:
                args["title"] = title
            if tone and tone != before.tone:
                args["tone"] = tone
            if str(form.get("instruction") or "").strip():
                args["instruction"] = str(form["instruction"]).strip()
            if len(args) == 1:
                return f"Draft {draft_id} is unchanged."
            summary = str((await tool("edit_draft", args, caller))["summary"])
            return summary.split("\n\n", 1)[0]

        return await web.act(request, "/content", run)

    async def schedule(request: Request) -> Response:
        draft_id = path_id(request)

        async def run(caller: Any, form: Any) -> str:
            args = {"draft_id": draft_id, "when": str(form.get("when") or "").strip()}
            return str((await tool("schedule_content", args, caller))["summary"])

        return await web.act(request, "/content", run)

    async def publish(request: Request) -> Response:
        draft_id = path_id(request)

        async def run(caller: Any, form: Any) -> str:
            d = await control.publish_draft(draft_id, caller)
            if d.status == "pending":
                return f"Not published: {d.context.splitlines()[-1] if d.context else d.title}"
            return f"Decision {d.id}: {d.outcome}"

        return await web.act(request, "/content", run)

    async def new_draft(request: Request) -> Response:
        async def run(caller: Any, form: Any) -> str:
            args = {"topic": str(form.get("topic") or "").strip(),
                    "channel": str(form.get("channel") or "discord"),
                    "symbol": str(form.get("symbol") or "").strip() or None,
                    "tone": str(form.get("tone") or "").strip() or None}
            result = await tool("draft_content", args, caller)
            return f"Draft {result['draft_id']} is ready; its decision is in the inbox."

        return await web.act(request, "/content", run)

    return [Route("/content", page(web, "content.html", content)),
            Route("/content/new", new_draft, methods=["POST"]),
            Route("/content/{id}/edit", edit, methods=["POST"]),
            Route("/content/{id}/schedule", schedule, methods=["POST"]),
            Route("/content/{id}/publish", publish, methods=["POST"])]
