"""Terminal chat front end: reads a line, runs one agent turn, prints the answer.

Alerts, decisions and notices print above the prompt the moment they arrive, without
breaking the line being typed (prompt_toolkit's ``patch_stdout``). Ctrl-C clears the line
(or interrupts a running turn), Ctrl-D on an empty line leaves, as in any shell. It only
translates and renders; everything else lives behind the ``Copilot`` facade.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from typing import Any

import structlog
from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel

from agent.copilot import Copilot, NoticeInbox
from core.auth import Caller
from core.errors import CopilotError, InvalidInput

log = structlog.get_logger(__name__)

HELP = """\
Ask in plain English, for example:
  what's AAPL at?                  chart NVDA for 3 months
  alert me when TSLA crosses 250   list my alerts
  draft a discord post about NVDA  how are my systems?
  dismiss all alert decisions      silence TSLA for an hour
Alerts and decisions appear as they happen; answer the latest with its option number.
Commands: /help  /quit (or Ctrl-D)  /new (fresh conversation)
  /d                     pending decisions        /d 12 2    answer decision 12 with option 2
  /all dismiss alerts    answer many at once      /all snooze TSLA 120   (minutes)
  /undo [12]             undo (the latest)        /digest    pending + what autopilot did today
  /silences              what is silenced or acknowledged"""
CONSOLE_UNDO = "/undo {id}"  # how the console's notices say undo


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
        self.read_line = read_line  # tests inject one; else a prompt_toolkit session
        self.console = console or Console()
        self.notices = notices  # alerts and decisions, shown as they arrive
        self.open_decision: int | None = None
        self.thread_id = f"console-{uuid.uuid4().hex[:8]}"
        self._turn: asyncio.Task[Any] | None = None
        self._session: Any = None

    # ---- input -----------------------------------------------------------------------
    @property
    def interactive(self) -> bool:
        """A real terminal: prompt_toolkit's line editor and live notices."""
        return self.read_line is None and sys.stdin.isatty()

    async def _prompt(self, prompt: str) -> str:
        if self.read_line is not None:
            return await self.read_line(prompt)
        if not self.interactive:  # piped input: plain lines
            return await asyncio.to_thread(self.console.input, prompt)
        if self._session is None:
            from prompt_toolkit import PromptSession

            self._session = PromptSession()
        from prompt_toolkit.formatted_text import ANSI

        while True:
            try:
                return str(await self._session.prompt_async(ANSI("\x1b[1;36myou>\x1b[0m ")))
            except KeyboardInterrupt:
                continue  # Ctrl-C clears the line, as in a shell

    def interrupt(self) -> None:
        """SIGINT while a turn runs (the terminal is not in the prompt): stop the turn."""
        if self._turn is not None and not self._turn.done():
            self._turn.cancel()

    # ---- notices ---------------------------------------------------------------------
    def show_notices(self) -> None:
        if self.notices is None:
            return
        for note in self.notices.drain():
            self.console.print(Panel(render(note.text), border_style="yellow"))
            if note.decision_id is not None:
                self.open_decision = note.decision_id

    async def _notice_loop(self) -> None:
        assert self.notices is not None
        while True:
            await self.notices.wait()
            self.show_notices()

    # ---- the loop --------------------------------------------------------------------
    async def run(self) -> None:
        demo = "demo data" if self.rt.demo_data else ""
        self.console.print(Panel.fit(
            f"[bold]victor-copilot[/] — model: {self.rt.model_name}"
            + (f", market: {demo}" if demo else "")
            + "\nType /help for examples, /quit or Ctrl-D to leave.", border_style="cyan"))
        waiting = len(self.rt.pending())
        if waiting:
            self.console.print(f"[yellow]{waiting} decision(s) waiting for you: /d lists "
                               "them.[/]")
        live = self.interactive and self.notices is not None
        printer = asyncio.create_task(self._notice_loop()) if live else None
        if live:
            from prompt_toolkit.patch_stdout import patch_stdout

            guard: Any = patch_stdout(raw=True)
            self.console = Console(force_terminal=self.console.is_terminal)
        else:
            guard = nullcontext()
        try:
            with guard:
                await self._loop()
        finally:
            if printer is not None:
                printer.cancel()

    async def _loop(self) -> None:
        while True:
            self.show_notices()
            try:
                line = (await self._prompt("you> ")).strip()
            except (EOFError, KeyboardInterrupt):
                self.console.print()
                return
            if not line:
                continue
            if line in ("/quit", "/exit", "/q"):
                return
            if line == "/help":
                self.console.print(HELP)
            elif line == "/d":
                await self.turn("what needs my attention")
            elif line.startswith("/") and line.split()[0] in COMMANDS:
                await self.command(line)
            elif line.isdigit():
                await self.answer_number(line)
            elif line == "/new":
                self.thread_id = f"console-{uuid.uuid4().hex[:8]}"
                self.console.print("[dim]New conversation.[/]")
            else:
                await self.turn(line)

    async def command(self, line: str) -> None:
        """`/d ID OPTION`, `/all OPTION [KIND|TICKER] [MINUTES]`, `/undo [ID]`, `/digest`,
        `/silences`: each runs the tool the agent would, for the owner."""
        name, *words = line.split()
        try:
            tool, args = COMMANDS[name](words)
            if tool == "decide":
                await self.answer_decision(args["decision_id"], args["option"])
                return
            result = await self.rt.run_tool(tool, args, Caller.local_owner())
        except CopilotError as exc:
            self.console.print(f"[red]{exc}[/]")
            return
        self.console.print(render(str(result.get("summary", ""))))

    async def answer_number(self, option: str) -> None:
        """A bare option number answers the decision on screen, or the only one waiting
        (after a restart nothing is on screen yet); with several, it asks which."""
        if self.open_decision is not None:
            await self.answer_decision(self.open_decision, option)
            return
        result = await self.rt.run_tool("pending_decisions", {}, Caller.local_owner())
        waiting = [d["id"] for d in result.get("decisions", [])]
        if len(waiting) == 1:
            await self.answer_decision(waiting[0], option)
        elif waiting:
            ids = ", ".join(f"#{i}" for i in waiting[:8])
            self.console.print(f"[dim]{len(waiting)} decisions are waiting ({ids}): say which, "
                               f"e.g. /d {waiting[0]} {option}.[/]")
        else:
            self.console.print("[dim]No decision is waiting.[/]")

    async def answer_decision(self, decision_id: int, option: str) -> None:
        try:
            decision = await self.rt.decide(decision_id, option, Caller.local_owner())
        except CopilotError as exc:
            self.console.print(f"[red]{exc}[/]")
            return
        self.open_decision = None
        self.console.print(f"[green]Decision {decision.id}:[/] {decision.outcome}")

    async def turn(self, line: str) -> None:
        task = asyncio.create_task(self.rt.ask(line, thread_id=self.thread_id))
        self._turn = task
        try:
            with self.console.status("thinking…", spinner="dots"):
                result = await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if not task.cancelled() or (current is not None and current.cancelling()):
                raise  # we are being stopped, not just the turn
            self.console.print("[dim]Interrupted.[/]")
            return
        except CopilotError as exc:
            self.console.print(f"[red]{exc}[/]")
            return
        finally:
            self._turn = None
        for call in result.tool_calls:
            args = ", ".join(f"{k}={v!r}" for k, v in call["args"].items())
            self.console.print(f"[dim]⚙ {call['name']}({args})[/]")
        self.console.print(render(result.answer or "(no answer)"))
        for path in result.attachments:
            self.console.print(f"[green]chart saved:[/] {path}")


def _usage(text: str) -> InvalidInput:
    return InvalidInput(f"Usage: {text}")


def _answer(words: list[str]) -> tuple[str, dict[str, Any]]:
    if len(words) != 2 or not words[0].lstrip("#").isdigit():
        raise _usage("/d ID OPTION, e.g. /d 12 2 (or /d alone to list them)")
    return "decide", {"decision_id": int(words[0].lstrip("#")), "option": words[1]}


def _all(words: list[str]) -> tuple[str, dict[str, Any]]:
    """`/all dismiss alerts`, `/all snooze TSLA 120`: a kind word or else a ticker."""
    from agent.decisions.service import KIND_WORDS

    if not words:
        raise _usage("/all OPTION [KIND|TICKER] [MINUTES], e.g. /all dismiss alerts")
    args: dict[str, Any] = {"option": words[0]}
    for word in words[1:]:
        if word.isdigit():
            args["minutes"] = int(word)
        elif word.lower() in KIND_WORDS:
            args["kind"] = word.lower()
        else:
            args["symbol"] = word
    return "decide_all", args


def _undo(words: list[str]) -> tuple[str, dict[str, Any]]:
    if len(words) > 1 or (words and not words[0].lstrip("#").isdigit()):
        raise _usage("/undo [ID]")
    return "undo", {"decision_id": int(words[0].lstrip("#"))} if words else {}


COMMANDS: dict[str, Callable[[list[str]], tuple[str, dict[str, Any]]]] = {
    "/d": _answer, "/all": _all, "/undo": _undo,
    "/digest": lambda _w: ("digest", {}), "/silences": lambda _w: ("silences", {}),
}
