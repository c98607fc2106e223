"""The system inventory (YAML), validated with pydantic; errors name the field."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

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


Name = Annotated[str, Field(min_length=1, max_length=100)]


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    roles: list[str] = Field(default_factory=list)


class Component(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
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
    name: Name
    rate_limit: str | None = None  # "25/day", "60/min"
    push: bool = False  # can it push (webhook, websocket, stream) instead of being polled?


class Inventory(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
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
                    raise ValueError(f"components[{i}].calls[{j}]: {_short(target)} is neither a "
                                     "component nor an external")
            for j, target in enumerate(c.replaces):
                if target not in names:
                    raise ValueError(f"components[{i}].replaces[{j}]: no component {_short(target)}")
            if c.owner and people and c.owner not in people:
                raise ValueError(f"components[{i}].owner: {_short(c.owner)} is not in people")
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


# ---- reading untrusted files ---------------------------------------------------------
# An inventory is a small hand-written file. Anything far beyond these bounds is a mistake
# or an attack, and is refused in one sentence before it can cost time or memory.
MAX_BYTES = 1_000_000  # 1 MB
MAX_DEPTH = 20  # nested mappings/sequences
MAX_NODES = 20_000  # YAML nodes, every use of an alias counted again


def _one_line(text: object, limit: int = 160) -> str:
    """A library's message as a fragment of one sentence: one line, bounded, no final dot."""
    text = " ".join(str(text).split()).rstrip(".")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "…" + text[-3:]


def _file_kind(mode: int) -> str | None:
    """What a non-regular file is, in words (None for a regular file)."""
    import stat

    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_inventory_text(path: str | Path) -> str:
    """The text of an inventory file, refusing in one sentence anything that is not a
    small, regular, UTF-8 text file. Never blocks: the file type is checked with
    ``os.stat`` before opening, and the open itself is non-blocking."""
    import errno
    import os

    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InvalidInput(f"No inventory at {p}; see examples/victor-stack.yaml for the "
                           "format.") from None
    except (OSError, ValueError) as exc:  # permission, name too long, NUL in the name...
        raise InvalidInput(f"Can't read the inventory {_short(str(p))}: "
                           f"{_one_line(getattr(exc, 'strerror', None) or exc)}.") from None
    kind = _file_kind(st.st_mode)
    if kind:
        raise InvalidInput(f"{p} is {kind}, not an inventory file; pass a YAML file.")
    if st.st_size > MAX_BYTES:
        raise InvalidInput(f"{p} is {st.st_size / 1e6:,.1f} MB; an inventory may be at most "
                           f"{MAX_BYTES // 1_000_000} MB.")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(p, flags)
    except OSError as exc:
        raise InvalidInput(f"Can't read the inventory {p}: "
                           f"{_one_line(exc.strerror or exc)}.") from None
    try:
        kind = _file_kind(os.fstat(fd).st_mode)  # it may have been swapped since the stat
        if kind:
            raise InvalidInput(f"{p} is {kind}, not an inventory file; pass a YAML file.")
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES:
            try:
                chunk = os.read(fd, min(65536, MAX_BYTES + 1 - size))
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    break
                raise InvalidInput(f"Can't read the inventory {p}: "
                                   f"{_one_line(exc.strerror or exc)}.") from None
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"{p} is over {MAX_BYTES // 1_000_000} MB; an inventory may be at "
                           f"most {MAX_BYTES // 1_000_000} MB.")
    if not data.strip():
        raise InvalidInput(f"{p} is empty; see examples/victor-stack.yaml for the format.")
    if b"\x00" in data:
        raise InvalidInput(f"{p} is a binary file, not a YAML inventory.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{p} is not UTF-8 text (bad byte at offset {exc.start}); save "
                           "it as UTF-8.") from None


def _yaml_problem(exc: Exception, source: str) -> InvalidInput:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = (getattr(exc, "problem", None) or getattr(exc, "reason", None)
               or getattr(exc, "context", None) or str(exc) or type(exc).__name__)
    return InvalidInput(f"{source}{where}: not valid YAML ({_one_line(problem)}).")


def _check_events(text: str, source: str, loader: type) -> None:
    """Stream the parser's events (no tree is built yet) and stop at the first sign of a
    document too deep or too large to be an inventory."""
    import yaml

    depth = nodes = documents = 0
    starts = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    node_events = (*starts, yaml.ScalarEvent, yaml.AliasEvent)
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, starts):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise InvalidInput(f"{source} line {mark.line + 1}: nests deeper than "
                                   f"{MAX_DEPTH} levels; an inventory is a shallow document.")
        elif isinstance(event, ends):
            depth -= 1
        elif isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise InvalidInput(f"{source}: holds several YAML documents; an inventory is "
                                   "one.")
        if isinstance(event, node_events):
            nodes += 1
            if nodes > MAX_NODES:
                raise InvalidInput(f"{source}: has more than {MAX_NODES:,} YAML values; an "
                                   "inventory is smaller than that.")


def _check_expansion(root: object, source: str) -> None:
    """Aliases reuse nodes: count the document as it would be expanded (a "billion
    laughs" bomb is small on disk and enormous once expanded) and refuse recursive ones."""
    import yaml

    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()

    def visit(node: yaml.Node) -> None:
        key = id(node)
        if key in size:
            return
        if key in on_path:
            raise InvalidInput(f"{source}: an alias refers to a node that contains it (a "
                               "recursive anchor); an inventory cannot be recursive.")
        on_path.add(key)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
            seen: set[str] = set()
            for k, _ in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag.endswith(":str"):
                    if k.value in seen:
                        raise InvalidInput(f"{source} line {k.start_mark.line + 1}: the key "
                                           f"{_short(k.value)} appears twice in one mapping.")
                    seen.add(k.value)
        for child in children:
            visit(child)
        on_path.discard(key)
        size[key] = 1 + sum(size[id(c)] for c in children)
        depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
        if size[key] > MAX_NODES:
            raise InvalidInput(f"{source}: its aliases expand to more than {MAX_NODES:,} YAML "
                               "values (an alias bomb?); write the inventory out plainly.")
        if depth[key] > MAX_DEPTH + 1:
            raise InvalidInput(f"{source}: its aliases nest deeper than {MAX_DEPTH} levels; "
                               "an inventory is a shallow document.")

    visit(root)  # type: ignore[arg-type]


def _load_yaml(text: str, source: str) -> object:
    """``yaml.safe_load`` made safe for untrusted text: bounded depth, size and alias
    expansion, every problem one sentence."""
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        _check_events(text, source, loader_cls)
        loader = loader_cls(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None
            _check_expansion(root, source)
            return loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise _yaml_problem(exc, source) from None
    except RecursionError:
        raise InvalidInput(f"{source}: nests too deeply to be an inventory.") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a timestamp out of range
        raise InvalidInput(f"{source}: a value cannot be read ({_one_line(exc)}).") from None


def parse_inventory(text: str, source: str = "inventory") -> Inventory:
    if len(text) > MAX_BYTES:
        raise InvalidInput(f"{source} is over {MAX_BYTES // 1_000_000} MB; an inventory may "
                           f"be at most {MAX_BYTES // 1_000_000} MB.")
    data = _load_yaml(text, source)
    if data is None:
        raise InvalidInput(f"{source} is empty; see examples/victor-stack.yaml for the format.")
    if not isinstance(data, dict):
        what = "a list" if isinstance(data, list) else \
            "a single string" if isinstance(data, str) else "a single value"
        raise InvalidInput(f"{source}: expected a mapping with name, people, components, "
                           f"externals, not {what}.")
    try:
        return Inventory.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = _location(tuple(err["loc"]))
        msg = _one_line(err["msg"].removeprefix("Value error, "), 200)
        if msg.startswith("components["):
            raise InvalidInput(f"{source}: {msg}.") from None
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise InvalidInput(f"{source}: {_one_line(field or 'inventory', 80)}: {msg}{more}.") \
            from None
    except RecursionError:
        raise InvalidInput(f"{source}: nests too deeply to be an inventory.") from None


def load_inventory(path: str | Path) -> Inventory:
    """Read and validate an inventory file; every problem is one sentence naming it."""
    return parse_inventory(read_inventory_text(path), str(path))
