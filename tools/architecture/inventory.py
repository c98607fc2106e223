"""The system inventory (YAML), validated with pydantic; errors name the field."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.errors import InvalidInput


class Kind(StrEnum):
    service = "service"
    function = "function"
    plugin = "plugin"
    script = "script"
    job = "job"
    frontend = "frontend"
    datastore = "datastore"
    proxy = "proxy"
    bot = "bot"
    automation = "automation"


class Status(StrEnum):
    active = "active"
    legacy = "legacy"
    deprecated = "deprecated"
    planned = "planned"


class Trigger(StrEnum):
    cron = "cron"
    poll = "poll"
    event = "event"
    http = "http"
    manual = "manual"


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    roles: list[str] = Field(default_factory=list)


class Component(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    kind: Kind
    tech: list[str] = Field(default_factory=list)
    status: Status = Status.active
    responsibilities: list[str] = Field(default_factory=list)
    triggers: list[Trigger] = Field(default_factory=list)
    calls: list[str] = Field(default_factory=list)
    cache: bool = False
    observability: list[str] = Field(default_factory=list)
    owner: str | None = None
    replaces: list[str] = Field(default_factory=list)  # components it is meant to replace

    @property
    def live(self) -> bool:
        """Running in production (planned components are not yet)."""
        return self.status != Status.planned


class External(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    rate_limit: str | None = None  # "25/day", "60/min"
    push: bool = False  # can it push (webhook, websocket, stream) instead of being polled?


class Inventory(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    people: list[Person] = Field(default_factory=list)
    components: list[Component] = Field(min_length=1)
    externals: list[External] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Inventory:
        names = [c.name for c in self.components]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"component names must be unique: {', '.join(sorted(dupes))}")
        known = set(names) | {e.name for e in self.externals}
        people = {p.name for p in self.people}
        for i, c in enumerate(self.components):
            for j, target in enumerate(c.calls):
                if target not in known:
                    raise ValueError(f"components[{i}].calls[{j}]: {target!r} is neither a "
                                     "component nor an external")
            for j, target in enumerate(c.replaces):
                if target not in names:
                    raise ValueError(f"components[{i}].replaces[{j}]: no component {target!r}")
            if c.owner and people and c.owner not in people:
                raise ValueError(f"components[{i}].owner: {c.owner!r} is not in people")
        return self

    def component(self, name: str) -> Component | None:
        return next((c for c in self.components if c.name == name), None)

    def external(self, name: str) -> External | None:
        return next((e for e in self.externals if e.name == name), None)

    @property
    def live(self) -> list[Component]:
        return [c for c in self.components if c.live]


def _location(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_inventory(text: str, source: str = "inventory") -> Inventory:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput(f"{source}{where}: not valid YAML ({problem}).") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{source}: expected a mapping with name, people, components, "
                           "externals.")
    try:
        return Inventory.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = _location(tuple(err["loc"]))
        msg = err["msg"].removeprefix("Value error, ")
        if msg.startswith("components["):
            raise InvalidInput(f"{source}: {msg}.") from None
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise InvalidInput(f"{source}: {field or 'inventory'}: {msg}{more}.") from None


def load_inventory(path: str | Path) -> Inventory:
    p = Path(path)
    if not p.exists():
        raise InvalidInput(f"No inventory at {p}; see examples/victor-stack.yaml for the format.")
    return parse_inventory(p.read_text(encoding="utf-8"), str(p))
