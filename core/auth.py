"""Who is asking. Privileged actions are gated here, in code, never by the model.

Front ends put a ``Caller`` into the run config (``configurable.caller``); tools read it
from there. The console and CLI act for the local owner. What a guest may use at all is
declared by each capability (``Capability.guest_tools``): public market data only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import PermissionDenied


@dataclass(frozen=True)
class Caller:
    user_id: str
    is_owner: bool
    name: str = ""

    @classmethod
    def local_owner(cls) -> Caller:
        return cls(user_id="local", is_owner=True, name="owner")


def caller_from_config(config: Any) -> Caller:
    """The caller of a run; an unknown caller is treated as a guest, never as the owner."""
    configurable = (config or {}).get("configurable", {}) if isinstance(config, dict) else {}
    caller = configurable.get("caller")
    if isinstance(caller, Caller):
        return caller
    return Caller(user_id="unknown", is_owner=False)


def require_owner(caller: Caller, action: str) -> None:
    if not caller.is_owner:
        raise PermissionDenied(f"Only the owner can {action}.")
