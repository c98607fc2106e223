"""Entity extraction for the offline model: symbols, prices, percentages, ids, durations,
calendar periods, times, channels, tones and references back. Pure functions over a
message; no I/O. Spans a time, a period, an id or a percentage use are not read again as
prices ("tomorrow 9am" is no $9 alert, "alert 3" no $3)."""

from __future__ import annotations

import difflib
import re

from agent.offline.normalize import is_english, looks_english
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
    "ET", "EST", "EDT", "PST", "CET", "GMT", "YTD", "MTD", "EOW", "LMK", "TF", "WTF",
    "OMG", "IMO", "NGL", "TBH", "RN", "FR", "BTW", "DD", "PT", "PNL", "EPS", "CPI", "FOMC",
    "FED", "SEC", "GDP", "NFP", "PPI", "VWAP", "ATR", "IV", "DTE", "OTM", "ITM", "ATM", "MA",
    "DMA", "ALL", "ANY", "MCP", "LLM", "GPT", "NYSE", "DB", "AWS", "VPS", "PR", "HODL",
    "FOMO", "FUD", "LFG", "YOLO", "BRB", "AFK", "EOM", "QOQ", "YOY", "OHLC", "RIP", "SL",
    "TP", "WE", "HE", "SHE", "ARE", "WAS", "CAN", "PLEASE", "THX", "TY", "X",
}
# Tickers that are also everyday words: only recognised in upper case or with a $.
AMBIGUOUS_LOWER = {"a", "t", "f", "v", "ma", "gs", "ba", "ko", "gm", "all", "now", "it",
                   "cost", "gold", "chase", "visa", "coke", "lilly", "ford", "nike", "low",
                   "key", "well", "fast", "main", "open", "hood", "arm", "cat", "bro", "be",
                   "on", "for", "are", "has", "can", "see", "big", "run", "car", "fun", "love",
                   "life", "play", "real", "free", "good", "nice", "wish", "peak", "turn",
                   "live", "move", "next", "ago", "box", "eat", "hot", "ups", "net", "pay"}
# lower-case words that are tickers unless used as words ("a coin", "an uber")
CONTEXT_TICKERS = {"coin": "COIN", "spy": "SPY", "meta": "META", "shop": "SHOP",
                   "uber": "UBER", "dis": "DIS", "ba": "BA", "intel": "INTC"}
ARTICLES = ("a", "an", "this", "that", "some", "any", "every", "no", "one", "per")
CRYPTO = {"btc": "BTC-USD", "bitcoin": "BTC-USD", "eth": "ETH-USD", "ether": "ETH-USD",
          "ethereum": "ETH-USD", "sol": "SOL-USD", "solana": "SOL-USD", "doge": "DOGE-USD",
          "dogecoin": "DOGE-USD", "xrp": "XRP-USD", "ltc": "LTC-USD", "avax": "AVAX-USD"}

NUMBER = r"(?<![\w.])\$?\d+(?:\.\d+)?\s*[kKmM]?(?![\w%])"
WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "half an": 0.5, "half a": 0.5, "couple of": 2, "couple": 2,
    "few": 3, "forty five": 45, "ninety": 90,
}
_QTY = r"(\d+(?:\.\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|" \
    r"fifteen|twenty|thirty|forty five|ninety|half an|half a|couple of|couple|few)"
_QTY_WORDS = r"(an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|" \
    r"thirty|forty five|ninety|half an|half a|couple of|couple|few)"
UNIT_MINUTES = {
    "s": 1 / 60, "sec": 1 / 60, "second": 1 / 60, "m": 1, "min": 1, "minute": 1,
    "h": 60, "hr": 60, "hour": 60, "d": 1440, "day": 1440, "w": 10080, "wk": 10080,
    "week": 10080,
}
_DUR_UNIT = r"(secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)"
UNIT_DAYS = {"d": 1, "day": 1, "w": 7, "wk": 7, "week": 7, "m": 30, "mo": 30, "month": 30,
             "q": 91, "quarter": 91, "y": 365, "yr": 365, "year": 365}
CHANNELS = {
    "discord": "discord", "server": "discord", "tweet": "discord", "thread": "discord",
    "blog": "blog", "article": "blog", "wordpress": "blog", "site": "blog",
    "website": "blog", "email": "email", "e-mail": "email", "newsletter": "email",
    "mail": "email", "subscribers": "email", "mailing": "email", "substack": "email",
}
TONES = {"casual": "casual", "formal": "neutral", "bullish": "bullish", "bearish": "bearish",
         "neutral": "neutral", "educational": "educational", "hype": "hype",
         "hyped": "hype", "hypey": "hype", "professional": "neutral", "cautious": "cautious",
         "careful": "cautious", "excited": "hype", "punchy": "punchy", "funny": "casual",
         "serious": "neutral", "chill": "casual", "informal": "casual"}
REFERS_BACK = re.compile(
    r"\b(it|that|this|that one|this one|the one|the last one|same|those|them|these|"
    r"again|instead|the alert|the draft|the post|the decision|the chart|previous|last one|"
    r"both|all of them|all three|each of them|that period|same period|those numbers|its|their)\b")

# time phrases: what schedule_content's `when` and create_alert's `expires_at` read
_DAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
_CLOCK = r"(?:\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}|noon|midnight|midday)"
_ZONES = r"(?:et|est|edt|ct|cst|pt|pst|pdt|utc|gmt|cet|cest|bst|ny time|eastern|pacific)"
_TIME_PIECE = (
    rf"(?:today|tonight|tomorrow|tmrw|tmr|tmrow|this (?:morning|afternoon|evening)|"
    rf"(?:next |this |coming )?{_DAY}|next week|end of (?:the )?(?:day|week)|eod|eow|"
    rf"(?:\d+\s*(?:m|mins?|minutes?|h|hrs?|hours?)\s+(?:before|after)\s+)?"
    rf"(?:the\s+)?(?:market\s+)?(?:open|opening bell|open bell|close|closing bell)|"
    rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}|"
    rf"\d{{4}}-\d{{2}}-\d{{2}}(?:[ t]\d{{1,2}}:\d{{2}})?|\d{{1,2}}/\d{{1,2}}|"
    rf"{_CLOCK}|{_ZONES}|in\s+{_QTY}\s*{_DUR_UNIT})"
)
_TIME_RUN = re.compile(
    rf"\b(?:(?:at|on|for|by|@|around|about|until|till|til|the|of)\s+)*{_TIME_PIECE}"
    rf"(?:(?:\s+|\s*,\s*)(?:(?:at|on|by|@|the|of|'s)\s+)*"
    rf"(?:{_TIME_PIECE}|(?<=at )\d{{1,2}}(?![\d.:%]|\s*(?:k|dollars|bucks|usd)\b)))*\b"
)
_PERIOD_RE = re.compile(
    r"\b(?:ytd|year to date|this year|mtd|this month|last month|last year|this week|"
    r"wtd|last week|(?:52|fifty two)[- ]?(?:week|wk)s?(?: high| low| range)?|"
    rf"since\s+(?:{_MONTH}(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?|\d{{4}}-\d{{2}}-\d{{2}}|"
    r"the start of the year|the beginning of the year|new year)|"
    rf"(?:from\s+)?(?:\d{{4}}-\d{{2}}-\d{{2}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?)\s+"
    rf"(?:to|through|thru|until|till|-)\s+(?:\d{{4}}-\d{{2}}-\d{{2}}|{_MONTH}\s+\d{{1,2}}"
    r"(?:st|nd|rd|th)?)|"
    r"on\s+\d{4}-\d{2}-\d{2}|"
    rf"on\s+{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|"
    rf"between\s+(?:\d{{4}}-\d{{2}}-\d{{2}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?)\s+and\s+"
    rf"(?:\d{{4}}-\d{{2}}-\d{{2}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?)|"
    r"(?:(?:the\s+)?(?:last|past|over|previous)\s+)?(?:\d{1,3}\s*[- ]?|(?:a|one|six|three|two)\s+)"
    r"(?:d|days?|w|wks?|weeks?|mo|mos|months?|m|y|yrs?|years?|q|quarters?)(?![\w])|"
    r"(?:the\s+)?(?:last|past|previous)\s+(?:day|week|month|quarter|year)|"
    r"(?:a|one)\s+(?:week|month|quarter|year))"
)
_WORD_QTY = {"a": "1", "one": "1", "two": "2", "three": "3", "six": "6", "fifty two": "52"}


def find_symbols(text: str, norm: str) -> list[str]:
    """Tickers as typed ($tsla, TSLA, tsla when it is a ticker we know), company names, a
    misspelt name ("nvidea"), a lower-case ticker we do not know ("sofi"), in the order
    they appear. A message typed all in capitals is read as if in lower case."""
    letters = re.sub(r"[^A-Za-z]", "", text)
    if len(letters) > 3 and letters.isupper():
        text = text.lower()
    found: list[tuple[int, str]] = []
    for m in re.finditer(r"\$?\b[A-Za-z]{1,6}(?:[.\-][A-Za-z]{1,4})?\b", text):
        raw = m.group(0)
        token = raw.lstrip("$")
        up, low = token.upper(), token.lower()
        before = text[:m.start()].lower().split()[-1:] or [""]
        if raw.startswith("$") and TICKER_RE.match(up):
            found.append((m.start(), CRYPTO.get(low, up)))
        elif low in CRYPTO:
            found.append((m.start(), CRYPTO[low]))
        elif token.isupper() and TICKER_RE.match(up) and up not in NOT_TICKERS and (
            len(up) >= 2 or up in UNIVERSE
        ):
            found.append((m.start(), up))
        elif low in CONTEXT_TICKERS:
            if before[0] not in ARTICLES:
                found.append((m.start(), CONTEXT_TICKERS[low]))
        elif low.endswith("s") and len(low) > 3 and (low[:-1] in CONTEXT_TICKERS or (
                low[:-1].upper() in UNIVERSE and low[:-1] not in AMBIGUOUS_LOWER)):
            found.append((m.start(), CONTEXT_TICKERS.get(low[:-1], low[:-1].upper())))
        elif up in UNIVERSE and low not in AMBIGUOUS_LOWER and len(up) >= 3:
            found.append((m.start(), up))
    lowered = re.sub(r"(\w)['’]s\b", r"\1", text.lower())
    for name, sym in NAME_TO_SYMBOL.items():
        if name in AMBIGUOUS_LOWER or name in CONTEXT_TICKERS or name in CRYPTO:
            continue
        for m in re.finditer(rf"(?<![\w]){re.escape(name)}(?![\w])", lowered):
            found.append((m.start(), sym))
    if not found:  # typo-corrected names, then a misspelt name
        for name, sym in NAME_TO_SYMBOL.items():
            if len(name) >= 4 and re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", norm):
                found.append((10_000, sym))
    if not found:
        names = [n for n in NAME_TO_SYMBOL if " " not in n and len(n) >= 5]
        for m in re.finditer(r"[a-z]{5,}", norm):
            if is_english(m.group(0)):
                continue
            match = difflib.get_close_matches(m.group(0), names, n=1, cutoff=0.8)
            if match:
                found.append((20_000 + m.start(), NAME_TO_SYMBOL[match[0]]))
    found += _unknown_tickers(text, found, set(norm.split()))
    out: list[str] = []
    for _, sym in sorted(found):
        if sym not in out:
            out.append(sym)
    return out


# words that look like tickers to the unknown-ticker rule but are not
NOT_TICKER_WORDS = frozenset({
    "wl", "px", "lmk", "pls", "plz", "abt", "rn", "ur", "pic", "msg", "dm", "dms", "ok",
    "hmm", "ya", "yo", "tho", "ty", "thx", "gm", "gn", "idk", "imo", "ngl", "tbh", "fr",
    "btw", "lol", "ytd", "mtd", "eod", "eow", "tmrw", "tmr", "hrs", "hr", "min", "mins",
    "sec", "wk", "wks", "mo", "mos", "yr", "yrs", "am", "pm", "et", "est", "pst", "utc",
    "vs", "w", "wo", "pct", "perf", "sched", "shh", "wat", "wats", "whats", "hows", "howd",
    "wheres", "whens", "whos", "lemme", "gimme", "gonna", "wanna", "rsi", "macd", "sma",
    "ema", "vwap", "iv", "dte", "atr", "pnl", "ath", "atl", "dd", "pt", "tf", "wtf", "omg",
    "tldr", "asap", "fyi", "hodl", "fomo", "fud", "lfg", "yolo", "brb", "afk", "aapl",
    "nah", "yep", "yup", "nope", "pts", "usd", "k", "kk", "ppl", "cuz", "bc", "b4", "bout",
    "db", "api", "infra", "spof", "yaml", "yml", "md", "alrt", "alrts", "chrt",
    "blog", "smth", "sth", "dis", "w/", "fwiw", "bday", "pov", "ps",
    "thnx", "nvm", "sry", "np", "yw", "gg", "rly", "prob", "probs", "def", "defo", "dunno",
    "diff", "etc", "aka", "ie", "eg", "rip", "ngmi", "wagmi", "ser", "ack", "acks", "eh",
    "ugh", "meh", "welp", "yeah",
})
LIST_TAIL = re.compile(r"(?:[$a-z.\-]{1,8}\s*,\s*)+[$a-z.\-]{1,8},?\s+(?:and|&)\s+([a-z]{2,5})\b")
LIST_STOP = frozenset({"the", "it", "me", "them", "then", "also", "all", "show", "tell", "add",
                       "more", "so", "you", "now", "too", "let", "get", "set", "put", "ping"})


TICKER_CONTEXT = frozenset({
    "price", "prices", "px", "quote", "chart", "charts", "alert", "alerts", "watchlist", "add",
    "remove", "drop", "track", "watch", "at", "above", "below", "over", "under", ">", "<",
    "crosses", "crossing", "drops", "falls", "rips", "dumps", "pumps", "hits", "up", "down",
    "today", "rn", "stock", "shares", "ticker", "trading", "doing", "moving", "history",
    "ytd", "performance", "close", "closes", "breaks", "jumps", "tanks", "calls", "puts",
    "and", ",", "vs", "or", "to", "off", "post", "draft", "put", "buy", "sell", "short",
})
DETERMINERS = frozenset({"the", "a", "an", "this", "that", "my", "our", "your", "some", "any",
                         "his", "her", "their", "its", "no", "every", "each", "of", "in"})
MODERN_WORDS = frozenset({
    "tech", "crypto", "fintech", "meh", "lol", "lmao", "memes", "bruh", "alts", "alt",
    "stonks", "tendies", "rekt", "omg", "hmm", "ugh", "yikes", "haha", "hehe", "oof", "welp",
    "yay", "nope", "yass", "vibes", "vibe", "semis", "bigtech", "emoji", "emojis", "app",
    "apps", "bot", "bots", "repo", "blog", "vlog", "selloff", "rally", "dip", "pump", "fomc",
    "cpi", "ppi", "jobs", "ai", "saas", "ev", "evs", "chip", "chips", "ok", "okay", "eh",
    "cron", "php", "wp", "azure", "aws", "gcp", "infra", "json", "yaml", "sql", "redis",
    "huh", "nah", "yo", "dude", "gang", "fam", "homie", "legit", "lit", "pls",
})


def _unknown_tickers(text: str, found: list[tuple[int, str]], kept: set[str]
                     ) -> list[tuple[int, str]]:
    """Lower-case tickers we do not know ("sofi", "mstr"): words that are not English nor
    chat shorthand, in a ticker's place (beside a price or chart word, a list of tickers,
    or alone), never after "the" or "a"."""
    low = text.lower()
    tokens = re.findall(r"[$a-z][\w.\-]*|[<>,]", low)
    out: list[tuple[int, str]] = []
    known = {pos for pos, _ in found}
    for m in re.finditer(r"(?<![\w$#@/.\-])([a-z]{2,5})(?![\w/.\-])", low):
        word = m.group(1)
        if m.start() in known or word not in kept or looks_english(word) or \
                word in NOT_TICKER_WORDS or word in MODERN_WORDS or \
                word.upper() in NOT_TICKERS or word in CONTEXT_TICKERS or \
                word in AMBIGUOUS_LOWER:
            continue
        before = low[:m.start()].split()
        if before and before[-1] in DETERMINERS:
            continue
        i = tokens.index(word) if word in tokens else -1
        near = set(tokens[max(0, i - 2): i] + tokens[i + 1: i + 3]) if i >= 0 else set()
        if len(tokens) <= 2 or near & TICKER_CONTEXT:
            out.append((m.start(), word.upper()))
    tail = LIST_TAIL.search(low)  # "add coin, mstr and hood": the last item of a list
    if tail and (found or out) and tail.group(1) not in LIST_STOP and \
            tail.start(1) not in {p for p, _ in found + out}:
        out.append((tail.start(1), tail.group(1).upper()))
    return out


def to_number(raw: str) -> float:
    s = raw.replace("$", "").replace(",", "").strip()
    mult = 1.0
    if s[-1:] in "kK":
        mult, s = 1000.0, s[:-1]
    elif s[-1:] in "mM":
        mult, s = 1_000_000.0, s[:-1]
    return float(s.strip()) * mult


ID_WORDS = r"(alerts?|drafts?|decisions?|posts?|rules?|option|choice|id|number|no\.?|#|article)"


class Spans:
    """Character spans already read as something (so nothing is read twice)."""

    def __init__(self) -> None:
        self.taken: list[tuple[int, int]] = []

    def take(self, m: re.Match[str]) -> None:
        self.taken.append(m.span())

    def free(self, m: re.Match[str]) -> bool:
        return all(m.end() <= a or m.start() >= b for a, b in self.taken)


def find_time(norm: str) -> re.Match[str] | None:
    """The longest time phrase in the message ("tomorrow 9am", "friday at the close")."""
    best = None
    for m in _TIME_RUN.finditer(norm):
        if best is None or len(m.group(0)) > len(best.group(0)):
            best = m
    return best


def period_text(raw: str) -> str:
    """A period as the market tools read it ("last 3 months" -> "3 months")."""
    if re.fullmatch(r"(?:the\s+)?last (week|month|year)", raw.strip()):
        return raw.strip().removeprefix("the ")  # the calendar one, not a rolling span
    p = re.sub(r"^(?:the\s+)?(?:last|past|over|previous)\s+", "", raw.strip())
    p = re.sub(r"^between\s+(.+?)\s+and\s+", r"\1 to ", p)
    for word, digit in _WORD_QTY.items():
        p = re.sub(rf"^{word}\b", digit, p)
    p = re.sub(r"^(\d+)\s*[- ]?\s*(mo|mos)$", r"\1 months", p)
    for short, unit in (("m", "months"), ("y", "years"), ("d", "days"), ("w", "weeks")):
        p = re.sub(rf"^(\d+)\s*{short}$", rf"\1 {unit}", p)
    p = re.sub(r"^1 (day|week|month|quarter|year)s$", r"1 \1", p)  # "1y" is "1 year"
    if re.match(r"(52|fifty two)[- ]?(week|wk)", p):
        return "52-week"
    if p in ("day", "week", "month", "quarter", "year"):
        p = f"1 {p}"
    if p in ("year to date", "this year"):
        return "ytd"
    if re.match(r"since (the start|the beginning) of the year|since new year", p):
        return "ytd"
    return p


def period_days(period: str) -> int | None:
    """About how many calendar days a period covers (for tools that take `days`)."""
    m = re.match(r"(\d+)\s*(days?|weeks?|months?|quarters?|years?)$", period)
    if m:
        return int(m.group(1)) * UNIT_DAYS[m.group(2).rstrip("s").replace("days", "day")]
    return {"52-week": 365, "ytd": None, "this week": 7, "last week": 14}.get(period)


def extract(text: str, norm: str) -> Entities:
    e = Entities(text=text, norm=norm, symbols=find_symbols(text, norm))
    spans = Spans()

    for m in re.finditer(rf"\b{ID_WORDS}\s*#?\s*(\d+)\b(?!\s*(?:posts?|drafts?|articles?|emails?|"
                         r"pieces?|versions?|alerts?|of them|more|new|different))", norm):
        kind = m.group(1).rstrip(".")
        if kind.startswith("alert") and re.match(
                r"\s*(?:k\b|breakout|breakdown|break|above|below|over|under|cross|level|"
                r"calls?|puts?|on\s+\$?[a-z])", norm[m.end():]):
            continue  # "alert 720 breakout", "alert 60k": a level, not alert 720
        kind = kind[:-1] if kind.endswith("s") and kind not in ("#",) else kind
        kind = {"#": "id", "no": "id", "number": "id", "rule": "alert", "post": "draft",
                "article": "draft", "choice": "option"}.get(kind, kind)
        e.ids.setdefault(kind, int(m.group(2)))
        spans.take(m)
        more = re.match(r"((?:\s*(?:,|and|&|\+)\s*#?\d+\b)+)", norm[m.end():])
        if more and kind in ("alert", "draft", "decision"):
            extra = [int(n) for n in re.findall(r"\d+", more.group(1))]
            e.id_lists[kind] = [int(m.group(2)), *extra]
            spans.taken.append((m.end(), m.end() + more.end()))
    for m in re.finditer(r"#(\d+)\b", norm):
        if spans.free(m):
            e.ids.setdefault("id", int(m.group(1)))
            spans.take(m)

    for m in re.finditer(r"([+-]?\d+(?:\.\d+)?)\s*(%|percent|pct|per cent)", norm):
        e.percents.append(float(m.group(1)))
        spans.take(m)

    dur = re.search(rf"\b(?:(\d+(?:\.\d+)?)\s*|{_QTY_WORDS}\s+){_DUR_UNIT}\b", norm)
    if dur and spans.free(dur):
        said = dur.group(1) or dur.group(2)
        qty = WORD_NUMBERS.get(said)
        amount = float(said) if qty is None else qty
        unit = dur.group(3)
        unit = {"secs": "s", "sec": "s", "seconds": "s", "second": "s", "mins": "min",
                "minutes": "min", "minute": "min", "hrs": "hr", "hours": "hour",
                "days": "day", "weeks": "week", "wks": "wk"}.get(unit, unit)
        e.duration_min = max(1, int(round(amount * UNIT_MINUTES[unit])))
    elif last := re.search(r"\b(?:last|past|next|this|an|one|per|a|the)\s+(minute|hour)\b", norm):
        e.duration_min = int(UNIT_MINUTES[last.group(1)])
    elif last := re.search(r"\b(?:last|past|next|this)\s+(day|week)\b|\bovernight\b", norm):
        e.duration_min = int(UNIT_MINUTES[last.group(1) or "day"]) if last.group(1) else 720
    elif re.search(r"\bhalf an? hour\b", norm):
        e.duration_min = 30

    period, moment = _PERIOD_RE.search(norm), find_time(norm)  # "on dec 1 2pm": a moment
    if period and moment and moment.start() <= period.start() < moment.end() and \
            re.search(_CLOCK, moment.group(0)):
        period = None
    if period and spans.free(period):
        e.period = period_text(period.group(0))
        e.days = period_days(e.period)
        if not re.fullmatch(r"\d+\s*m", period.group(0)):  # "5m": months or minutes
            spans.take(period)

    time = find_time(norm)
    if time and spans.free(time) and not re.fullmatch(
            r"(?:at|on|for|by|the|of|\s)*(?:et|est|edt|pt|pst|utc|gmt|cet)", time.group(0)):
        e.when = re.sub(r"^(?:at|on|for|by|@)\s+", "", time.group(0).strip())
        spans.take(time)
    if dur:
        spans.take(dur)

    for m in re.finditer(NUMBER, norm):
        if not spans.free(m):
            continue
        tail = norm[m.end(): m.end() + 12].strip()
        if re.match(r"(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?|"
                    r"mo|months?|y|yrs?|years?|am|pm|x)\b", tail):
            continue
        value = to_number(m.group(0))
        if m.group(0).startswith("$") or "." in m.group(0) or value >= 1:
            e.prices.append(value)
        if re.fullmatch(r"\d+", m.group(0).strip()):
            e.bare_ints.append(int(m.group(0)))

    for word, channel in CHANNELS.items():
        if re.search(rf"\b{re.escape(word)}\b", norm):
            e.channel = channel
            break
    for word, tone in TONES.items():
        if tone and re.search(rf"\b{word}\b", norm):
            e.tone = tone
            break
    e.refers_back = bool(REFERS_BACK.search(norm))
    return e
