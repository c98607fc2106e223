"""The composition root: opens the clients, builds the kernel, then each component in
order with typed constructor arguments, and hands the result to the front ends as one
``Copilot``. Adding a capability is one line in ``build``."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.base import BaseCheckpointSaver

from agent.checkpoints import conversation_retention
from agent.copilot import Copilot
from agent.decisions.capability import DecisionsCapability
from agent.graph import build_graph
from agent.llm import ChatTextModel, make_chat_model
from agent.mcp_tools import McpTools, load_mcp_tools
from core.capability import Capability, Components, Kernel
from core.decisions import DecisionPort
from core.grammar import Grammar
from core.housekeeping import Housekeeping
from core.logs import LogEntry, Redactor, configure_logging, settings_secrets
from core.ports import TextModel
from core.scheduler import Scheduler
from core.settings import Settings
from core.storage import create_tables, make_engine
from core.supervisor import Supervisor
from tools.alerts.capability import AlertsCapability
from tools.architecture.capability import ArchitectureCapability
from tools.content.capability import ContentCapability
from tools.health.capability import HealthCapability
from tools.market.capability import MarketCapability

Clock = Callable[[], float]
Extra = Callable[[Kernel, DecisionPort], Capability]  # a capability added by a test or plugin


def enable_tracing(settings: Settings) -> None:
    """LangSmith tracing when a key is set; without one nothing waits on the network."""
    if settings.langsmith_api_key:
        os.environ["LANGSMITH_TRACING"] = "true"
        os.environ["LANGSMITH_API_KEY"] = settings.langsmith_api_key.get_secret_value()
        os.environ.setdefault("LANGSMITH_PROJECT", "victor-copilot")
    else:
        os.environ["LANGSMITH_TRACING"] = "false"


def build(kernel: Kernel, checkpointer: BaseCheckpointSaver[Any],
          model: BaseChatModel | None = None,
          extra: Sequence[Extra] = (), mcp: McpTools | None = None) -> Copilot:
    """Every component, in dependency order; the decisions component comes first because
    every other capability raises its questions through its port. ``mcp``: tools from
    other MCP servers, for the owner's graph only."""
    settings = kernel.settings
    llm: TextModel | None = None
    if model is not None and getattr(model, "_llm_type", "") != "offline":
        llm = ChatTextModel(model)
    elif model is None and settings.effective_llm != "offline":
        model = make_chat_model(settings)
        llm = ChatTextModel(model)
    components = Components()
    center = DecisionsCapability(kernel, checkpointer, sections=components.briefing, llm=llm)
    decisions = center.service
    market = MarketCapability(kernel, stream_symbols=components.stream_symbols)
    alerts = AlertsCapability(kernel, market=market.service, decisions=decisions)
    content = ContentCapability(kernel, market=market.service, alerts=alerts.service,
                                decisions=decisions, llm=llm)
    health = HealthCapability(kernel, decisions=decisions, others=components.checks)
    architecture = ArchitectureCapability(kernel, decisions=decisions, llm=llm)
    components.extend([market, alerts, content, health, architecture, center])
    components.extend(make(kernel, decisions) for make in extra)
    # the daily retention job: every component's rules, and idle conversation threads
    components.append(Housekeeping(kernel, components.retention, extra=[
        conversation_retention(checkpointer, settings.thread_idle_days)]))

    create_tables(kernel.db, components.tables())
    for kind in components.decision_kinds():
        decisions.register_kind(kind)
    offline = make_chat_model(settings, "offline", components.grammars())
    model = model or offline
    for chat in {id(offline): offline, id(model): model}.values():
        if hasattr(chat, "use_prices"):  # the offline model reads "hits 250" against the price
            chat.use_prices(market.service.last_price)
    tools = components.tools()
    guest = components.guest_tools()
    external = list(mcp.tools) if mcp is not None else []
    redact = Redactor(settings_secrets(settings)).text
    tz = settings.timezone
    keep = settings.thread_keep_messages  # each thread's state stays this small
    return Copilot(
        kernel=kernel, components=components, market=market, alerts=alerts, content=content,
        health=health, architecture=architecture, decision_center=center, model=model,
        graph=build_graph(model, [*tools, *external], checkpointer=checkpointer, redact=redact,
                          timezone=tz, keep_messages=keep),
        make_guest_graph=lambda: build_graph(model, [t for t in tools if t.name in guest],
                                             checkpointer=checkpointer, redact=redact,
                                             timezone=tz, keep_messages=keep),
        checkpointer=checkpointer, mcp_tools=external, _tools=tools,
        # when a configured model fails, the owner's turn is answered offline, labelled
        fallback_graph=None if model is offline else build_graph(
            offline, [*tools, *external], checkpointer=checkpointer, redact=redact,
            timezone=tz, keep_messages=keep))


@asynccontextmanager
async def open_checkpoints(path: Path) -> AsyncIterator[Any]:
    """The checkpoint file, shared by `copilot run` and every CLI process: WAL so readers
    never block the writer, and a busy timeout so a moment of contention waits instead of
    failing the turn. ``synchronous=NORMAL`` as for the main database: in WAL mode the
    file cannot be corrupted by a crash, and a turn no longer waits for several fsyncs
    (a power cut may lose the last turn's checkpoint, never an older one)."""
    import aiosqlite

    async with aiosqlite.connect(str(path), timeout=30) as conn:
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA journal_size_limit=4194304")  # the WAL shrinks back to 4 MB
        await conn.execute("PRAGMA busy_timeout=30000")
        yield conn


@asynccontextmanager
async def open_runtime(settings: Settings | None = None, *, model: BaseChatModel | None = None,
                       clock: Clock = time.time,
                       extra: Sequence[Extra] = ()
                       ) -> AsyncIterator[Copilot]:
    """Open every client, yield the built co-pilot, close everything on exit."""
    import httpx
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from core.bus import InProcessBus

    settings = settings or Settings()
    settings.ensure_dirs()
    enable_tracing(settings)
    async with AsyncExitStack() as stack:
        db = make_engine(settings.db_url)
        stack.callback(db.dispose)
        create_tables(db, [LogEntry])
        configure_logging(settings.log_level, settings.data_dir / "logs", db,
                          settings_secrets(settings))
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=10.0))
        supervisor = Supervisor(clock=clock)
        kernel = Kernel(settings=settings, db=db, bus=InProcessBus(spawn=supervisor.spawn),
                        supervisor=supervisor, scheduler=Scheduler(settings.db_url),
                        http=http, clock=clock)
        checkpointer = AsyncSqliteSaver(await stack.enter_async_context(
            open_checkpoints(settings.checkpoint_path)))
        mcp = await load_mcp_tools(settings.mcp_servers)
        copilot = build(kernel, checkpointer, model, extra, mcp)
        if settings.mcp_servers:
            copilot.register_check(mcp)
        try:
            yield copilot
        finally:
            await copilot.stop()
            copilot.alerts.close()


def grammars() -> list[Grammar]:
    """The built-in capabilities' grammars, in build order (the order breaks ties): what
    the offline model is made of when no runtime is needed (tests, evals)."""
    return [c.grammar for c in (MarketCapability, AlertsCapability, ContentCapability,
                                HealthCapability, ArchitectureCapability, DecisionsCapability)
            if c.grammar is not None]


def offline_model() -> BaseChatModel:
    return make_chat_model(Settings(), "offline", grammars())
