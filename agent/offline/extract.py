"""Entity extraction for the offline model: symbols, prices, percentages, durations,
periods, ids, channels. Pure functions over a message; no I/O."""

from __future__ import annotations

import difflib
import re
from datetime import UTC, datetime

from core.grammar import Entities
from core.market import TICKER_RE
from core.symbols import NAME_TO_SYMBOL, UNIVERSE

# Upper-case words that are not tickers in a message.
NOT_TICKERS = {
    "I", "A", "OK", "USD", "ETF", "CEO", "AI", "PM", "AM", "UTC", "API", "ID", "URL", "PNG",
    "JSON", "YAML", "SQL", "DM", "RSI", "EOD", "ATH", "IPO", "FYI", "ASAP", "PLS", "LOL",
    "TLDR", "EMA", "SMA", "MACD", "WP", "PHP", "CI", "UI", "HTML", "IT", "IS", "AT", "ME",
    "MY", "ON", "IN", "OF", "TO", "THE", "AND", "OR", "FOR", "BE", "DO", "GO", "SO", "UP",
    "NO", "HI", "HEY", "YO", "WHAT", "HOW", "NOW", "PLZ", "NEWS", "GM", "GN", "US", "EU",
}
# Tickers that are also everyday words: only recognised in upper case or with a $.
AMBIGUOUS_LOWER = {"a", "t", "f", "v", "ma", "gs", "ba", "ko", "dis", "gm", "all", "now", "it"}

NUMBER = r"\$?\d[\d,]*(?:\.\d+)?\s*[kKmM]?\b"
WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "half an": 0.5, "half a": 0.5, "couple of": 2, "couple": 2,
    "few": 3,
}
UNIT_MINUTES = {
    "s": 1 / 60, "sec": 1 / 60, "second": 1 / 60, "m": 1, "min": 1, "mins": 1, "minute": 1,
    "h": 60, "hr": 60, "hrs": 60, "hour": 60, "d": 1440, "day": 1440, "w": 10080,
    "week": 10080,
}
UNIT_DAYS = {"d": 1, "day": 1, "w": 7, "wk": 7, "week": 7, "m": 30, "mo": 30, "month": 30,
             "q": 91, "quarter": 91, "y": 365, "yr": 365, "year": 365}
CHANNELS = {
    "discord": "discord", "server": "discord", "tweet": "discord", "thread": "discord",
    "blog": "blog", "article": "blog", "wordpress": "blog", "site": "blog",
    "email": "email", "e-mail": "email", "newsletter": "email", "mail": "email",
    "subscribers": "email", "mailing": "email",
}
TONES = ("casual", "formal", "bullish", "bearish", "neutral", "educational", "hype",
         "professional", "funny", "serious", "cautious", "excited")


def normalize(text: str, vocabulary: set[str] | None = None) -> str:
    """Lower-case, simplify punctuation and fix likely typos against ``vocabulary``."""
    t = text.lower().replace("’", "'")
    t = re.sub(r"[^\w$%.,:'&@#/+\- ]", " ", t)
    t = re.sub(r"(\w)'s\b", r"\1", t)
    t = re.sub(r"\s+", " ", t).strip()
    if not vocabulary:
        return t
    words = []
    for w in t.split(" "):
        core = w.strip(".,:?!")
        if len(core) >= 4 and core.isalpha() and core not in vocabulary:
            match = difflib.get_close_matches(core, vocabulary, n=1, cutoff=0.8)
            if match:
                w = w.replace(core, match[0])
        words.append(w)
    return " ".join(words)


def find_symbols(text: str, norm: str) -> list[str]:
    found: list[tuple[int, str]] = []
    for m in re.finditer(r"\$?\b[A-Za-z]{1,6}(?:[.\-][A-Za-z]{1,4})?\b", text):
        raw = m.group(0)
        token = raw.lstrip("$")
        up = token.upper()
        if raw.startswith("$") and TICKER_RE.match(up):
            found.append((m.start(), up))
        elif token.isupper() and TICKER_RE.match(up) and up not in NOT_TICKERS and (
            len(up) >= 2 or up in UNIVERSE
        ):
            found.append((m.start(), up))
        elif up in UNIVERSE and token.lower() not in AMBIGUOUS_LOWER and len(up) >= 3:
            found.append((m.start(), up))
    lowered = re.sub(r"(\w)['’]s\b", r"\1", text.lower())
    for haystack in (lowered, norm):  # as typed first; typo-corrected only if nothing else
        if found and haystack is norm:
            break
        for name, sym in NAME_TO_SYMBOL.items():
            for m in re.finditer(rf"(?<![\w]){re.escape(name)}(?![\w])", haystack):
                found.append((m.start() + 10_000, sym))  # names rank after explicit tickers
    if not found:
        # a misspelt company name ("nvidea", "teslas")
        names = [n for n in NAME_TO_SYMBOL if " " not in n and len(n) >= 5]
        for word in re.findall(r"[a-z]{5,}", norm):
            match = difflib.get_close_matches(word, names, n=1, cutoff=0.8)
            if match:
                found.append((20_000, NAME_TO_SYMBOL[match[0]]))
    out: list[str] = []
    for _, sym in sorted(found):
        if sym not in out:
            out.append(sym)
    return out


def _to_number(raw: str) -> float:
    s = raw.replace("$", "").replace(",", "").strip()
    mult = 1.0
    if s[-1:] in "kK":
        mult, s = 1000.0, s[:-1]
    elif s[-1:] in "mM":
        mult, s = 1_000_000.0, s[:-1]
    return float(s.strip()) * mult


ID_WORDS = r"(alert|draft|decision|post|rule|option|choice|id|number|no\.?|#)"


def extract(text: str, norm: str) -> Entities:
    e = Entities(text=text, norm=norm, symbols=find_symbols(text, norm))
    consumed: list[tuple[int, int]] = []

    def take(m: re.Match[str]) -> None:
        consumed.append(m.span())

    def free(m: re.Match[str]) -> bool:
        return all(m.end() <= a or m.start() >= b for a, b in consumed)

    for m in re.finditer(rf"{ID_WORDS}\s*#?\s*(\d+)\b", norm):
        kind = m.group(1).rstrip(".")
        kind = {"#": "id", "no": "id", "number": "id", "rule": "alert", "post": "draft",
                "choice": "option"}.get(kind, kind)
        e.ids.setdefault(kind, int(m.group(2)))
        take(m)
    for m in re.finditer(r"#(\d+)\b", norm):
        if free(m):
            e.ids.setdefault("id", int(m.group(1)))
            take(m)

    for m in re.finditer(r"([+-]?\d+(?:\.\d+)?)\s*(%|percent|pct)", norm):
        e.percents.append(float(m.group(1)))
        take(m)

    # durations: "for an hour", "30 minutes", "for 2h", "till tomorrow"
    dur = re.search(
        r"\b(\d+(?:\.\d+)?|an?|one|two|three|four|five|six|ten|"
        r"twelve|fifteen|twenty|thirty|half an|half a|couple of|few)\s*"
        r"(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\b",
        norm,
    )
    if dur and free(dur):
        take(dur)
        qty = WORD_NUMBERS.get(dur.group(1), None)
        qty = float(dur.group(1)) if qty is None else qty
        unit = dur.group(2).rstrip("s") or "s"
        unit = {"sec": "s", "second": "s", "mi": "min"}.get(unit, unit)
        if unit in UNIT_MINUTES:
            e.duration_min = max(1, int(round(qty * UNIT_MINUTES[unit])))
    elif last := re.search(r"\b(?:last|past|next|this)\s+(minute|hour|day|week)\b", norm):
        e.duration_min = int(UNIT_MINUTES[last.group(1)])
    elif re.search(r"\b(till|until) tomorrow\b|\bfor the (rest of the )?day\b", norm):
        e.duration_min = 1440
    elif re.search(r"\b(till|until) (monday|next week)\b", norm):
        e.duration_min = 3 * 1440

    # periods for history/charts: "30 days", "last 3 months", "past week", "1y", "ytd"
    per = re.search(
        r"(\d+)\s*(d|days?|w|wks?|weeks?|mo|months?|m|q|quarters?|y|yrs?|years?)\b", norm
    )
    if per and not re.match(r"\d+\s*(m|mins?|minutes?|h|hours?)\b", per.group(0)):
        unit = per.group(2)
        unit = unit if unit in UNIT_DAYS else unit.rstrip("s")
        unit = {"wk": "w", "mo": "mo"}.get(unit, unit)
        e.days = int(per.group(1)) * UNIT_DAYS.get(unit, 1)
        take(per)
    else:
        per2 = re.search(r"\b(?:last|past|this|a|one|1)\s+(day|week|month|quarter|year)\b", norm)
        if per2:
            e.days = UNIT_DAYS[per2.group(1)]
            take(per2)
        elif "ytd" in norm.split() or "year to date" in norm:
            e.days = max(1, datetime.now(UTC).timetuple().tm_yday)

    for m in re.finditer(NUMBER, norm):
        if not free(m):
            continue
        tail = norm[m.end(): m.end() + 12].strip()
        if re.match(r"(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?|"
                    r"mo|months?|y|yrs?|years?)\b", tail):
            continue
        value = _to_number(m.group(0))
        if m.group(0).startswith("$") or "." in m.group(0) or value >= 1:
            e.prices.append(value)
        if re.fullmatch(r"\d+", m.group(0).strip()):
            e.bare_ints.append(int(m.group(0)))

    for word, channel in CHANNELS.items():
        if re.search(rf"\b{re.escape(word)}\b", norm):
            e.channel = channel
            break
    for tone in TONES:
        if re.search(rf"\b{tone}\b", norm):
            e.tone = tone
            break
    return e
