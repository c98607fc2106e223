"""``Copilot``: the one object front ends (console, Discord, later the web) talk to.

It asks agent turns, answers and undoes decisions, runs a tool for a caller (gated in
code by who is asking), lets a front end subscribe to notices and register what it
brings (an alert target, a health check), and starts/stops the background work of
`copilot run`. Its typed capability fields are for the CLI and tests; front ends use the
methods."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph
from pydantic import ValidationError

from agent.decisions.capability import DecisionsCapability
from agent.decisions.service import DecisionService
from agent.notices import Notice as Notice  # front ends import them from here
from agent.notices import NoticeInbox as NoticeInbox
from agent.turns import (
    ThreadLocks,
    TurnEvents,
    TurnResult,
    compose_message,
    last_result,
    run_turn,
)
from core.auth import Caller
from core.capability import Components, Kernel
from core.decisions import Decision
from core.errors import CopilotError, InvalidInput
from core.lease import InstanceLease
from core.ports import HealthCheck
from core.scheduler import PlannedRun, plan
from core.settings import Settings
from tools.alerts.capability import AlertsCapability
from tools.alerts.targets import Sender
from tools.architecture.capability import ArchitectureCapability
from tools.content.capability import ContentCapability
from tools.health.capability import HealthCapability
from tools.market.capability import MarketCapability

if TYPE_CHECKING:
    from agent.control import ControlCenter

HEARTBEAT_S = 10.0
log = structlog.get_logger(__name__)


def model_failure(exc: BaseException, settings: Settings) -> str | None:
    """One sentence when ``exc`` is the LLM endpoint failing (unreachable, timing out,
    answering 4xx/5xx); None for anything else."""
    names = {f"{c.__module__}.{c.__name__}" for c in type(exc).__mro__}
    if not any(n.startswith(("openai.", "httpx.", "httpcore.")) for n in names):
        return None
    where = re.sub(r"://[^/@\s]+@", "://", settings.llm_base_url or "OpenAI")
    status = getattr(exc, "status_code", None)
    what = f"answered HTTP {status}" if status else \
        ("timed out" if "Timeout" in type(exc).__name__ else "is unreachable")
    return f"The model at {where} {what} ({type(exc).__name__})."


@dataclass
class Copilot:
    kernel: Kernel
    components: Components
    market: MarketCapability
    alerts: AlertsCapability
    content: ContentCapability
    health: HealthCapability
    architecture: ArchitectureCapability
    decision_center: DecisionsCapability
    model: BaseChatModel
    graph: CompiledStateGraph[Any, Any, Any, Any]
    # the guests' graph (Discord), built on first use: a CLI turn is the owner's
    make_guest_graph: Callable[[], CompiledStateGraph[Any, Any, Any, Any]]
    checkpointer: BaseCheckpointSaver[Any]
    fallback_graph: CompiledStateGraph[Any, Any, Any, Any] | None = None  # offline, labelled
    mcp_tools: list[BaseTool] = field(default_factory=list)  # COPILOT_MCP_SERVERS': owner only
    _started: bool = False
    _metrics: Any = None
    _lease: InstanceLease | None = None
    _turns: ThreadLocks = field(default_factory=ThreadLocks)  # one turn at a time per thread
    _redact: Callable[[str], str] | None = None
    _tools: list[BaseTool] | None = None  # the graphs' tools, built once
    _control: Any = None
    _guest_graph: CompiledStateGraph[Any, Any, Any, Any] | None = None

    # ---- what the CLI and tests reach for -------------------------------------------
    @property
    def settings(self) -> Settings:
        return self.kernel.settings

    @property
    def decisions(self) -> DecisionService:
        return self.decision_center.service

    @property
    def tools(self) -> list[BaseTool]:
        if self._tools is None:
            self._tools = self.components.tools()
        return self._tools

    def clock(self) -> float:
        return self.kernel.clock()

    @property
    def guest_graph(self) -> CompiledStateGraph[Any, Any, Any, Any]:
        """The graph of everyone but the owner: the guests' tools only."""
        if self._guest_graph is None:
            self._guest_graph = self.make_guest_graph()
        return self._guest_graph

    @property
    def control(self) -> ControlCenter:
        """What the web control center reads and does (``agent/control.py``)."""
        if self._control is None:
            from agent.control import ControlCenter

            self._control = ControlCenter(self)
        return self._control  # type: ignore[no-any-return]

    @property
    def demo_data(self) -> bool:
        """Market answers are synthetic demo data (no provider key is set)."""
        return self.market.service.demo

    @property
    def model_name(self) -> str:
        return str(self.model._llm_type)

    # ---- turns ------------------------------------------------------------------------
    async def ask(self, message: str, thread_id: str | None = None,
                  caller: Caller | None = None,
                  attachments: Sequence[tuple[str, str]] = ()) -> TurnResult:
        """Run one agent turn on ``thread_id`` (a fresh thread when None). The model may
        fail; the turn still answers, in one sentence, and nothing else stops. Turns on
        one thread run one at a time, in the order they arrive. ``attachments`` are
        ``(file name, text)`` pairs added to the message (``compose_message``)."""
        return await last_result(self._turn_events(message, thread_id, caller, attachments,
                                                   stream=False))

    async def ask_stream(self, message: str, thread_id: str | None = None,
                         caller: Caller | None = None,
                         attachments: Sequence[tuple[str, str]] = ()
                         ) -> TurnEvents:
        """``ask``, streamed: while a streaming model writes its answer this yields the
        text so far (redacted, and only up to its last whitespace, see ``settled_text``),
        then the ``TurnResult`` last. A model that does not stream (the offline one)
        yields only the ``TurnResult``. Iterate to the end or ``aclose()`` it: the
        thread's turn lock is held until then."""
        async for item in self._turn_events(message, thread_id, caller, attachments,
                                            stream=True):
            yield item

    @property
    def redact(self) -> Callable[[str], str]:
        """The redaction that guards the logs and the checkpoints (the graphs get theirs
        from the runtime), for text shown before it reaches the state."""
        if self._redact is None:
            from core.logs import Redactor, settings_secrets

            self._redact = Redactor(settings_secrets(self.settings)).text
        return self._redact

    async def _turn_events(self, message: str, thread_id: str | None, caller: Caller | None,
                           attachments: Sequence[tuple[str, str]], *, stream: bool
                           ) -> TurnEvents:
        text = compose_message(message, attachments)
        thread = thread_id or f"ask-{uuid.uuid4().hex}"
        caller = caller or Caller.local_owner()
        graph = self.graph if caller.is_owner else self.guest_graph
        async with self._turns.turn(thread):
            try:
                async for item in run_turn(graph, text, thread, caller, stream=stream,
                                           pending=self.decisions.pending,
                                           redact=self.redact):
                    yield item
            except CopilotError:
                raise
            except Exception as exc:  # noqa: BLE001 - the model's or a bug's: one sentence
                yield await self._failed_turn(exc, text, thread, caller)
            finally:
                await self._keep_latest(thread)

    async def _keep_latest(self, thread: str) -> None:
        """The thread keeps only its latest checkpoint(s): storage stays bounded."""
        from agent.checkpoints import keep_latest

        keep = self.settings.thread_checkpoints
        names = [thread] if self.fallback_graph is None else [thread, f"{thread}:offline"]
        for name in names:
            try:
                await keep_latest(self.checkpointer, name, keep)
            except Exception:  # noqa: BLE001 - a busy file: pruned after the next turn
                log.warning("could not prune the thread's checkpoints", thread=name,
                            exc_info=True)

    async def _failed_turn(self, exc: Exception, text: str, thread: str,
                           caller: Caller) -> TurnResult:
        problem = model_failure(exc, self.settings)
        if problem is None:
            log.exception("turn failed", thread=thread)
            return TurnResult(answer="Something went wrong on my side; it is in the log "
                                     f"({self.settings.data_dir / 'logs'}). Try again.")
        log.warning("model failed", error=problem)
        if self.fallback_graph is None or not caller.is_owner:
            return TurnResult(answer=f"{problem} Nothing was done; try again in a moment.")
        result = await last_result(run_turn(
            self.fallback_graph, text, f"{thread}:offline", caller, stream=False,
            pending=self.decisions.pending, redact=self.redact))
        result.answer = f"_{problem} The offline model answered instead:_\n\n{result.answer}"
        return result

    # ---- conversations ---------------------------------------------------------------
    async def conversation_generation(self, key: str) -> int:
        """How many times the conversation ``key`` (a front end's name for one person in
        one place) was started afresh; kept in the database, so it survives restarts."""
        from core.storage import kv_get

        value = await asyncio.to_thread(kv_get, self.kernel.db, f"conversation:{key}")
        return int(value) if value and value.isdigit() else 0

    async def new_conversation(self, key: str) -> int:
        """Start the conversation ``key`` afresh: its next generation number."""
        from core.storage import kv_get, kv_set

        def bump() -> int:
            value = kv_get(self.kernel.db, f"conversation:{key}")
            generation = (int(value) if value and value.isdigit() else 0) + 1
            kv_set(self.kernel.db, f"conversation:{key}", str(generation))
            return generation

        return await asyncio.to_thread(bump)

    async def run_tool(self, name: str, args: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """Run one tool directly (slash commands): guests only reach the guest tools, and
        only the owner those loaded from other MCP servers."""
        if not caller.is_owner and name not in self.components.guest_tools():
            raise InvalidInput("That command is for the owner.")
        tool = next((t for t in [*self.tools, *self.mcp_tools] if t.name == name), None)
        if tool is None:
            raise InvalidInput(f"/{name} is not available in this version.")
        clean = {k: v for k, v in args.items() if v is not None}
        try:
            result: dict[str, Any] = await tool.ainvoke(clean,
                                                        {"configurable": {"caller": caller}})
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise InvalidInput(f"/{name}: {where}: {err['msg']}.") from None
        return result

    # ---- decisions --------------------------------------------------------------------
    def decision(self, decision_id: int) -> Decision:
        return self.decisions.get(decision_id)

    def pending(self) -> list[Decision]:
        return self.decisions.pending()

    async def decide(self, decision_id: int, option: str, caller: Caller,
                     edits: dict[str, Any] | None = None) -> Decision:
        return await self.decisions.decide(decision_id, option, caller, edits=edits)

    async def undo(self, decision_id: int, caller: Caller) -> Decision:
        return await self.decisions.undo(decision_id, caller)

    # ---- what front ends read and bring ------------------------------------------------
    async def job_plan(self) -> list[PlannedRun]:
        """Every scheduled job (briefings on the exchange clock, content slots, scheduled
        posts, housekeeping) with its next run seen from now, soonest first."""
        declared = [(j.name, j.trigger, j.args) for j in self.components.jobs()]
        stored = await self.kernel.scheduler.stored()
        armed = {j["id"] for j in stored}
        # posts scheduled from another process are armed when `copilot run` next starts
        for d in self.content.service.drafts("scheduled"):
            if f"content-publish-{d.id}" not in armed and d.scheduled_for is not None:
                stored.append({"id": f"content-publish-{d.id}", "trigger": "date",
                               "next_run": datetime.fromtimestamp(d.scheduled_for, UTC)})
        return plan(declared, stored, self.clock())

    def watchlist(self) -> list[str]:
        return self.market.service.watchlist()

    def record_feedback(self, external_id: str, kind: str, text: str = "",
                        user_id: str = "") -> None:
        self.content.service.record_feedback(external_id, kind, text, user_id)

    def subscribe(self, topic: str, handler: Callable[[Any], Any], name: str) -> Callable[[], None]:
        """Notices for a front end: DECISION_RAISED, DECISION_RESOLVED, NOTICE."""
        return self.kernel.bus.subscribe(topic, handler, name=name)

    def notices(self, undo: str = "undo {id}") -> NoticeInbox:
        """What a console-like front end shows between turns; ``undo`` is how it lets
        the owner undo a decision ("/undo {id}")."""
        return NoticeInbox(self, undo)

    def register_alert_sender(self, name: str, sender: Sender) -> None:
        """An alert delivery target a front end brings (the Discord bot's DMs)."""
        self.alerts.register_sender(name, sender)

    def register_check(self, check: HealthCheck) -> None:
        self.health.monitor.add(check)

    # ---- `copilot run` ------------------------------------------------------------------
    async def start(self) -> None:
        """Become the running instance (``AlreadyRunning`` if another `copilot run` holds
        this data), then start the background work: each component's own (ticks, engine,
        dispatcher...), then the scheduled jobs, all under the supervisor. Idempotent."""
        if self._started:
            return
        self._lease = InstanceLease(self.kernel.db, self.settings.data_dir, self.kernel.clock,
                                    self.settings.timezone)
        self._lease.acquire()
        self._started = True
        self.kernel.supervisor.spawn("heartbeat", self._heartbeat)
        self.kernel.bus.start()
        for component in self.components:
            await component.start()
        scheduler = self.kernel.scheduler
        for job in self.components.jobs():
            scheduler.add(job.name, job.fn, job.trigger, **job.args)
        scheduler.start()
        self.kernel.supervisor.spawn("scheduler", self._keep_scheduler)
        port = self.settings.metrics_port
        if port and self._metrics is None:
            from agent.metrics import serve_metrics

            self._metrics = serve_metrics(self, port)

    async def _heartbeat(self) -> None:
        """Tell other processes (`copilot health`, a second `copilot run`) we are alive."""
        while self._lease is not None:
            tasks = [{"name": t.name, "state": t.state, "restarts": t.restarts,
                      "last_error": t.last_error} for t in self.kernel.supervisor.snapshot()]
            await asyncio.to_thread(self._lease.beat, tasks)
            await asyncio.sleep(HEARTBEAT_S)

    async def _keep_scheduler(self) -> None:
        scheduler = self.kernel.scheduler
        try:
            while True:
                if not scheduler.running:
                    scheduler.start()
                await asyncio.sleep(5)
        finally:
            scheduler.shutdown()

    async def stop(self) -> None:
        if self._metrics is not None:
            self._metrics.shutdown()
            self._metrics = None
        await self.kernel.supervisor.stop()
        if self._started:
            for component in reversed(self.components):
                await component.stop()
        await self.kernel.bus.stop()
        if self._lease is not None:
            self._lease.release()
            self._lease = None
        self._started = False

