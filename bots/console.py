"""Terminal chat front end: reads a line, runs one agent turn, prints the answer.

It only translates and renders; everything else lives behind the ``Copilot`` facade.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel

from agent.copilot import Copilot, NoticeInbox
from core.auth import Caller
from core.errors import CopilotError

HELP = """\
Ask in plain English, for example:
  what's AAPL at?                  chart NVDA for 3 months
  alert me when TSLA crosses 250   list my alerts
  draft a discord post about NVDA  how are my systems?
Decisions appear between turns; answer with the option number.
Commands: /help  /quit  /new (fresh conversation)  /d (pending decisions)"""


def render(text: str) -> Markdown:
    """Markdown, but a line break in a tool's answer stays a line break."""
    if "```" not in text:
        text = text.replace("\n", "  \n")
    return Markdown(text)


class ConsoleChat:
    def __init__(
        self,
        copilot: Copilot,
        console: Console | None = None,
        read_line: Callable[[str], Awaitable[str]] | None = None,
        notices: NoticeInbox | None = None,
    ) -> None:
        self.rt = copilot
        self.console = console or Console()
        self.read_line = read_line or self._stdin_line
        self.notices = notices  # alerts and decisions, shown between turns
        self.open_decision: int | None = None
        self.thread_id = f"console-{uuid.uuid4().hex[:8]}"

    async def _stdin_line(self, prompt: str) -> str:
        return await asyncio.to_thread(self.console.input, prompt)

    async def run(self) -> None:
        demo = "demo data" if self.rt.demo_data else ""
        self.console.print(
            Panel.fit(
                f"[bold]victor-copilot[/] — model: {self.rt.model_name}"
                + (f", market: {demo}" if demo else "")
                + "\nType /help for examples, /quit to leave.",
                border_style="cyan",
            )
        )
        while True:
            if self.notices is not None:
                for note in self.notices.drain():
                    self.console.print(Panel(render(note.text), border_style="yellow"))
                    if note.decision_id is not None:
                        self.open_decision = note.decision_id
            try:
                line = (await self.read_line("[bold cyan]you>[/] ")).strip()
            except (EOFError, KeyboardInterrupt):
                self.console.print()
                return
            if not line:
                continue
            if line in ("/quit", "/exit", "/q"):
                return
            if line == "/help":
                self.console.print(HELP)
                continue
            if line == "/d":
                await self.turn("what needs my attention")
                continue
            if line.isdigit():
                if self.open_decision is not None:
                    await self.answer_decision(self.open_decision, line)
                else:
                    self.console.print("[dim]No decision is open; /d lists the pending ones.[/]")
                continue
            if line == "/new":
                self.thread_id = f"console-{uuid.uuid4().hex[:8]}"
                self.console.print("[dim]New conversation.[/]")
                continue
            await self.turn(line)

    async def answer_decision(self, decision_id: int, option: str) -> None:
        try:
            decision = await self.rt.decide(decision_id, option, Caller.local_owner())
        except CopilotError as exc:
            self.console.print(f"[red]{exc}[/]")
            return
        self.open_decision = None
        self.console.print(f"[green]Decision {decision.id}:[/] {decision.outcome}")

    async def turn(self, line: str) -> None:
        try:
            with self.console.status("thinking…", spinner="dots"):
                result = await self.rt.ask(line, thread_id=self.thread_id)
        except CopilotError as exc:
            self.console.print(f"[red]{exc}[/]")
            return
        for call in result.tool_calls:
            args = ", ".join(f"{k}={v!r}" for k, v in call["args"].items())
            self.console.print(f"[dim]⚙ {call['name']}({args})[/]")
        self.console.print(render(result.answer or "(no answer)"))
        for path in result.attachments:
            self.console.print(f"[green]chart saved:[/] {path}")
