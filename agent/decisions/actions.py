"""Actions an option can run, by name. Capabilities register theirs at wiring time, each
with the action that undoes it when it can be undone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from agent.errors import InvalidInput


@dataclass
class ActionResult:
    summary: str
    undo: tuple[str, dict[str, Any]] | None = None  # (action name, args)


Action = Callable[[dict[str, Any]], Awaitable[ActionResult]]


class ActionRegistry:
    def __init__(self) -> None:
        self._actions: dict[str, Action] = {}
        self.register("noop", _noop)

    def register(self, name: str, fn: Action) -> None:
        self._actions[name] = fn

    def has(self, name: str) -> bool:
        return name in self._actions

    async def run(self, name: str, args: dict[str, Any]) -> ActionResult:
        fn = self._actions.get(name)
        if fn is None:
            raise InvalidInput(f"No action named {name!r} is available.")
        return await fn(args)


async def _noop(args: dict[str, Any]) -> ActionResult:
    return ActionResult(args.get("summary", "Noted; nothing else to do."))
