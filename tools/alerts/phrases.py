"""How traders say an alert, read into create_alert's arguments. Direction words and
signs decide the condition; a level with no direction is asked about (or, said as
"hits"/"at", read against the last price when one is known); indicator alerts are
refused elsewhere, never approximated by a price. Pure functions over a message."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from core.grammar import Args, Ask, Entities

# a price: "180", "$180.5", "60k" (not a %, a duration, a time of day or a period)
NUM = r"(\d+(?:\.\d+)?)\s*(k(?![a-z]))?(?!\d|\s*(?:%|percent|pct|min|mins|minutes?|h\b|" \
    r"hrs?|hours?|days?|d\b|am\b|pm\b|x\b|sessions?|months?|mo\b|weeks?|w\b|y\b|years?|" \
    r"sma|ema|dma|ma\b|rsi|:\d))"
UP_MOVE = r"(?:up|jumps?|jumping|pops?|popping|rips?|ripping|rall(?:y|ies|ying)|rises?|" \
    r"rising|gains?|gaining|spikes?|spiking|climbs?|climbing|moons?|mooning|pumps?|pumping|" \
    r"surges?|surging|runs?|running|squeezes?|green|higher|soars?|soaring|adds?|explodes?|" \
    r"upside|to the upside)"
DOWN_MOVE = r"(?:down|drops?|dropping|falls?|falling|dumps?|dumping|tanks?|tanking|sinks?|" \
    r"sinking|dips?|dipping|loses?|losing|sells? off|selling off|craters?|cratering|" \
    r"slides?|sliding|bleeds?|bleeding|crash(?:es|ing)?|plunges?|plunging|red|lower|" \
    r"slumps?|slumping|tumbles?|shed(?:s|ding)?|gives? back|off|downside|to the downside|" \
    r"fad(?:es?|ing)|sells?)"
EITHER_MOVE = r"(?:moves?|moving|swings?|swinging|either (?:way|direction)|any direction|" \
    r"both ways|in either direction|\+/-|±|up or down|down or up|change[sd]?)"

# operator phrases, longest first where they overlap; the condition each one means
OPERATORS: tuple[tuple[str, str], ...] = (
    (r"cross(?:es|ed|ing)?\s+(?:back\s+)?(?:above|over|up(?:wards?)?(?:\s+through)?|higher)",
     "cross_above"),
    (r"cross(?:es|ed|ing)?\s+(?:back\s+)?(?:below|under|down(?:wards?)?(?:\s+through)?|lower|"
     r"beneath)", "cross_below"),
    (r"break(?:s|ing)?\s+(?:back\s+)?(?:out\s+)?(?:above|over|through|out\s+past|past)",
     "cross_above"),
    (r"break(?:s|ing)?\s+(?:back\s+)?(?:down\s+)?(?:below|under|beneath)", "cross_below"),
    (r"(?:cracks?|cracking|breaks?|breaking|busts?|blows? through|slices? through|"
     r"punches? through|pierces?)(?:\s+(?:through|thru))?", "break"),
    (r"(?:breakout|break out)\s+(?:above|over|past|through)?", "cross_above"),
    (r"(?:breakdown|break down)\s+(?:below|under|through)?", "cross_below"),
    (r"(?:falls?|drops?|dips?|sinks?|slides?|dumps?|tanks?|goes|gets|trades?|closes?)\s+"
     r"(?:back\s+)?(?:below|under|beneath|through|thru)", "below"),
    (r"(?:rises?|rips?|climbs?|goes|gets|trades?|closes?|pops?|runs?|pushes?|moves?)\s+"
     r"(?:back\s+)?(?:above|over|past|beyond)", "above"),
    (r"cross(?:es|ed|ing)?(?:\s+(?:either|any)\s+(?:way|direction))?", "cross"),
    (r"at\s+or\s+(?:above|over|higher)|>=|=>|greater than or equal to", "above"),
    (r"at\s+or\s+(?:below|under|lower)|<=|=<|less than or equal to", "below"),
    (r"above|over|>|higher than|greater than|more than|north of|beyond|past|exceeds?|"
     r"tops?|clears?|reclaims?|\bbreaks?\s+(?=\$?\d+\s*k?\s+(?:to the upside|upside))", "above"),
    (r"below|under|<|lower than|less than|south of|beneath|sub|loses?|undercuts?", "below"),
    (rf"{DOWN_MOVE}\s+(?:back\s+)?(?:to|into|toward|towards|near)", "below"),
    (rf"{UP_MOVE}\s+(?:back\s+)?(?:to|into|toward|towards|near)", "above"),
    (r"(?:hits?|hitting|reach(?:es|ing)?|touch(?:es|ing)?|tags?|tagging|gets?\s+to|goes\s+to|"
     r"trades?\s+at|prints?|lands?\s+at|gets?\s+back\s+to)", "level"),
    (r"at|@|=|is\s+at", "at"),
)
_OPS = re.compile(r"(?<![\w])(?:" + "|".join(f"(?P<op{i}>{p})" for i, (p, _) in
                                           enumerate(OPERATORS)) + r")")
FREQUENCY = (
    (r"\b((?:once )?(?:per|on|at|each) (?:the |a )?(?:daily )?bar close|on (?:a |the )?(?:daily )?"
     r"clos(?:e|ing)(?: basis| price)?|at the (?:daily )?close|on (?:each|every) close|"
     r"(?:daily )?closes? (?:above|below|over|under|inside|outside|within|up|down|higher|"
     r"lower|green|red)|closing (?:above|below|over|under|inside|outside|up|down))\b",
     "once_per_bar_close"),
    (r"\b((?:at most |max |no more than )?once (?:a|per|every) minute|once a min|"
     r"(?:at most |max )?one per minute|every minute at most)\b", "once_per_minute"),
    (r"\b(once (?:a|per) day|once daily|daily(?: max)?|every day|per day|once a session|"
     r"once per session|max once a day|one per day|1x (?:a|per) day|a day max)\b",
     "once_per_day"),
    (r"\b(every ?time|each time|whenever|always|repeatedly|every single time|not just once|"
     r"keep (?:pinging|alerting|notifying)|every occurrence|recurring|repeat(?:ing)?)\b",
     "every_time"),
    (r"\b(only once|just once|one time|one-time|once only|single alert|one and done|once)\b",
     "once"),
)
EXPIRY = re.compile(
    r"\b(?:(?:until|till|til|thru|through|up to|before|expir(?:es|ing|y|e)(?: on| at)?|"
    r"good till|gtc till|valid (?:until|till|through)|kill it|cancel it|drop it|"
    r"push (?:it|that) (?:out )?(?:to|till|until)|extend (?:it|that) (?:to|till|until))\s+"
    r"(?P<until>.+?)(?=$|[,;.]|\s+(?:note|and|pls|please|lmk|thx|thanks|every|once|ping|"
    r"alert|max|though|tho)\b)|"
    r"(?:only |just )?for (?:the )?(?:next )?(?P<span>(?:\d+|a|an|one|two|three|few|couple of)"
    r"\s*(?:days?|hours?|hrs?|weeks?|d|h|w))\b|"
    r"(?P<rest>(?:for )?(?:the )?rest of (?:the )?(?:day|week|session)|(?:only )?(?:during|for|"
    r"in) (?:today'?s?|this|the) session|(?:only )?(?:during|for) (?:today|the day))\b|"
    r"(?P<today>today only|just today|only today|(?:only |just )?for today(?: only)?)\b)")
NOTE = re.compile(r"(?:\bnote(?:\s+it)?(?:\s+as)?\s*[:\-]?|\bmemo\s*:|\breason\s*:|"
                  r"\blabel(?:\s+it)?(?:\s+as)?\s*:?|\btag(?:\s+it)?\s+as\b|\bcomment\s*:|"
                  r"\badd (?:a |the )?note\s*:?|\bwith (?:a |the )?note\s*:?|\bnotes?\s*:)\s*"
                  r"(?P<note>.+)$")
DOLLAR_MOVE = re.compile(
    rf"\b(?P<dir>{UP_MOVE}|{DOWN_MOVE}|{EITHER_MOVE})\s+(?:by\s+)?(?:another\s+)?"
    r"(?:\$\s?(?P<a>\d+(?:\.\d+)?)|(?P<b>\d+(?:\.\d+)?)\s*(?:bucks|dollars|usd|points|pts|"
    r"handles?)|(?P<c>\d+(?:\.\d+)?)\s+(?:off|from)\s+(?:the\s+)?(?:high|low|open))")
TREND_UP = re.compile(rf"\b{UP_MOVE}\b")
TREND_DOWN = re.compile(rf"\b{DOWN_MOVE}\b")


@dataclass
class Level:
    condition: str  # above/below/cross*/level (no direction)
    value: float
    start: int


@dataclass
class AlertWords:
    """The alert parts a message says, before a symbol is attached."""

    levels: list[Level] = field(default_factory=list)
    frequency: str | None = None
    expires_at: str | None = None
    note: str | None = None
    move: Args | None = None  # a % or $ move (condition, threshold, window)
    move_at: int = 0  # where it was said (several alerts keep the message's order)


def _number(m: re.Match[str], group: int = 1) -> float:
    value = float(m.group(group))
    unit = (m.group(group + 1) or "").lower()
    return value * (1000 if unit == "k" else 1_000_000 if unit == "m" else 1)


def _op_condition(m: re.Match[str]) -> str:
    for i, (_, condition) in enumerate(OPERATORS):
        if m.group(f"op{i}") is not None:
            return condition
    return "level"


def split_note(norm: str) -> tuple[str, str | None]:
    """The message without its note, and the note ("note: earnings run-up")."""
    m = NOTE.search(norm)
    if not m:
        return norm, None
    note = re.sub(r"^(?:to|on|for)\s+(?:(?:alert|rule)\s*#?\d+|it|that|this|them|both|"
                  r"the \w+(?:\.\w+)? (?:one|alert))\s*[:\-]?\s*", "", m.group("note"))
    note = note.strip(" .,;:-—\"'")
    return norm[:m.start()].strip(" ,;—-"), note or None


def expiry(norm: str) -> tuple[str, str | None]:
    m = EXPIRY.search(norm)
    if not m:
        return norm, None
    if m.group("until"):
        said = re.sub(r"\s+(?:instead|then|please|pls|tho|though|too|again|thanks)$", "",
                      m.group("until").strip())
    elif m.group("span"):
        said = "for " + m.group("span")
    elif m.group("today"):
        said = "end of day"
    else:
        said = "end of week" if "week" in m.group("rest") else \
            "at the close" if "session" in m.group("rest") else "end of day"
    return (norm[:m.start()] + " " + norm[m.end():]).strip(), said


# one rule over the watchlist: "anything on my watchlist", "any stock in my watch list",
# "every name on the watchlist", "my watchlist names", "across my watchlist"
LIST_WIDE = re.compile(
    r"\b(?:(?:any|anything|anyone|any one|every|everything|each|all|whatever|something|"
    r"one)(?: (?:of )?(?:the )?(?:stocks?|tickers?|names?|symbols?|ones?|thing|of them))?"
    r"|across|throughout)\s+(?:(?:that(?:'s| is)|which is|i have|i hold)\s+)?(?:on|in|from|of)?"
    r"\s*(?:my|the)\s+watch ?list\b|\b(?:my|the) watch ?list(?:'s)? (?:names|stocks|tickers|"
    r"symbols)\b")


# ... or over a named list: "anything on my semis list", "chips on my semis list" (a ticker
# said in the message is the alert's, not the list: "nvda ... and put it on my semis list")
NAMED_WIDE = re.compile(r"\b(?:on|in|from|of|across)\s+(?:my|the)\s+(?!watch\b)"
                        r"([a-z][a-z0-9_-]{1,23})\s+list\b")


def says_list(norm: str) -> bool:
    """The alert is over a whole list (one rule, a firing per symbol)."""
    return list_said(norm) is not None


def list_said(norm: str) -> str | None:
    """The list an alert is over: 'watchlist', '@semis' (a named list), or None."""
    if LIST_WIDE.search(norm):
        return "watchlist"
    m = NAMED_WIDE.search(norm)
    return "@" + m.group(1) if m else None


def frequency(norm: str) -> str | None:
    for pattern, freq in FREQUENCY:
        if re.search(pattern, norm):
            return freq
    return None


def read_alert(e: Entities) -> AlertWords:
    text, note = split_note(e.norm)
    text, until = expiry(text)
    words = AlertWords(frequency=frequency(text), expires_at=until, note=note)
    words.move = _move(text, e)
    found = re.search(r"\d+(?:\.\d+)?\s*(?:%|percent|pct)|\$\s?\d|\d+\s*(?:bucks|dollars)", text)
    words.move_at = found.start() if found else len(text)
    rest = text
    if words.move is not None:  # "under 240, over 290, and one for a 5% move": all of them
        rest = re.sub(r"[+-]?\d+(?:\.\d+)?\s*(?:%|percent|pct|per cent)", " ", text)
        rest = DOLLAR_MOVE.sub(" ", rest)
    words.levels = _levels(rest)
    return words


def _move(text: str, e: Entities) -> Args | None:
    """A directional or either-way move by a percentage or a dollar amount; "today", "on
    the day", "from the close" (and no window) make a directional one a move from the
    previous session's close."""
    pct = re.search(r"([+-]?\d+(?:\.\d+)?)\s*(?:%|percent|pct|per cent)", text)
    if pct:
        value = float(pct.group(1))
        cond = _pct_direction(text, pct, value)
        args: Args = {"condition": _on_the_day(cond, text, e), "threshold": abs(value)}
        if e.duration_min:
            args["window_minutes"] = e.duration_min
        return args
    m = DOLLAR_MOVE.search(text)
    if m:
        value = float(m.group("a") or m.group("b") or m.group("c"))
        word = m.group("dir")
        if re.fullmatch(EITHER_MOVE, word):
            return None  # "moves $5 either way" has no operator here: asked by the caller
        cond = "moving_down" if re.fullmatch(DOWN_MOVE, word) else "moving_up"
        if m.group("c") is None:  # "5 off the high" is from the high, not the close
            cond = _on_the_day(cond, text, e)
        args = {"condition": cond, "threshold": value}
        if e.duration_min:
            args["window_minutes"] = e.duration_min
        return args
    return None


ON_THE_DAY = re.compile(
    r"\b(?:today|on the (?:day|session)|(?:for|in) the (?:day|session)|day over day|d/d|"
    r"(?:from|vs\.?|versus|off|over|since|than) (?:the |yesterday'?s? |last |the prior |the "
    r"previous |prior |previous )?(?:close|closing price|settle(?:ment)?)|(?:on|of) the day|"
    r"clos(?:es?|ed|ing) (?:up|down|green|red|higher|lower))\b")


def _on_the_day(condition: str, text: str, e: Entities) -> str:
    """``moving_up_pct`` -> ``up_pct_from_close`` (and the same for the others) when the
    message measures the move over the day and gives no window of its own."""
    if e.duration_min or not ON_THE_DAY.search(text) or condition == "pct_change":
        return condition
    return FROM_CLOSE_OF[condition]


FROM_CLOSE_OF = {"moving_up_pct": "up_pct_from_close", "moving_down_pct": "down_pct_from_close",
                 "moving_up": "up_from_close", "moving_down": "down_from_close"}


# a move's (measured over: a window or the day since the close, unit, direction)
MOVE_PARTS = {
    "pct_change": ("window", "pct", "either"), "moving_up_pct": ("window", "pct", "up"),
    "moving_down_pct": ("window", "pct", "down"), "moving_up": ("window", "usd", "up"),
    "moving_down": ("window", "usd", "down"), "up_pct_from_close": ("close", "pct", "up"),
    "down_pct_from_close": ("close", "pct", "down"), "up_from_close": ("close", "usd", "up"),
    "down_from_close": ("close", "usd", "down")}
MOVE_OF = {parts: condition for condition, parts in MOVE_PARTS.items()}
EITHER_WAY = re.compile(r"\b(?:either (?:way|direction)|any direction|both ways|up or down|"
                        r"down or up)\b|\+/-|±")
DOLLARS = re.compile(r"\$\s?\d|\d\s*(?:bucks|dollars|usd)\b")


def edited_move(old: str, new: str | None, text: str, windowed: bool) -> str | None:
    """A move alert's condition after "make it 6%" (``new``: the move the text says read
    alone, None when it says only an amount): what the text leaves out is the alert's own
    — a direction ("make it 6%" on "falls 2%" still falls), the unit ("make it $10" on a
    % move is dollars only when it says so), the day or the window ("make it down 2%" on
    "up 5% today" stays from the close; a window said makes it a windowed move)."""
    over, unit, way = MOVE_PARTS[old]
    if new is None:
        unit = "usd" if DOLLARS.search(text) else "pct" if "%" in text else unit
        if EITHER_WAY.search(text):
            way = "either"
        elif re.search(r"\b(?:up|higher|upside)\b", text):  # "make it up 6"
            way = "up"
        elif re.search(r"\b(?:down|lower|downside)\b", text):
            way = "down"
    else:
        n_over, unit, n_way = MOVE_PARTS[new]
        if n_way != "either" or EITHER_WAY.search(text):
            way = n_way
        over = "close" if n_over == "close" else over
    if windowed:
        over = "window"
    if over == "close" and way == "either":
        over = "window"  # no either-way move from the close: a window's
    return MOVE_OF.get((over, unit, way))  # dollars either way: none (None: asked)


def _pct_direction(text: str, pct: re.Match[str], value: float) -> str:
    """The direction word nearest the percentage decides ("if it jumps 6%": up, even after
    "coiling for a move"); "either way" or a sign-less "moves" means either."""
    if value < 0:
        return "moving_down_pct"
    if pct.group(1).startswith("+"):
        return "moving_up_pct"
    near = []
    for pattern, cond in ((EITHER_MOVE, "pct_change"), (r"\bmove\b", "pct_change"),
                          (DOWN_MOVE, "moving_down_pct"), (UP_MOVE, "moving_up_pct")):
        for m in re.finditer(rf"\b{pattern}\b" if not pattern.startswith("\\b") else pattern,
                             text):
            distance = pct.start() - m.end() if m.end() <= pct.start() else m.start() - pct.end()
            if 0 <= distance <= 40:
                near.append((distance + (0 if cond == "pct_change" and re.search(
                    r"either|any direction|both ways|up or down|\+/-|±", m.group(0)) else 0),
                             cond))
    either = [d for d, c in near if c == "pct_change" and d <= 25]
    if either and any(re.search(r"either|any direction|both ways|up or down|\+/-|±",
                                text[max(0, pct.start() - 40): pct.end() + 40]) for _ in [0]):
        return "pct_change"
    return min(near)[1] if near else "pct_change"


def _levels(text: str) -> list[Level]:
    """Each operator with the number after it ("over 75k or under 68k": two levels); a
    number after "or"/"and" with no operator of its own shares the one before."""
    levels: list[Level] = []
    taken_until = -1
    for m in _OPS.finditer(text):
        if m.start() < taken_until:
            continue
        after = text[m.end():]
        num = re.match(rf"\s*(?:the\s+)?(?:\$\s?)?{NUM}", after)
        if not num:
            continue
        value = _number(num)
        levels.append(Level(_op_condition(m), value, m.start()))
        taken_until = m.end() + num.end()
        tail = text[taken_until:]
        more = re.match(rf"\s*(?:,|or|and|/|&)\s*(?:\$\s?)?{NUM}", tail)
        if more and not _OPS.match(tail.strip()):
            levels.append(Level(_op_condition(m), _number(more), taken_until))
            taken_until += more.end()
    if not levels:  # "240 up top, 228 below": the level said before its direction
        for post in re.finditer(rf"(?:\$\s?)?{NUM}\s+(up top|on top|at the top|above|over|"
                                r"upside|below|under|at the bottom|down low|downside)\b", text):
            up = post.group(3) in ("up top", "on top", "at the top", "above", "over", "upside")
            levels.append(Level("above" if up else "below", _number(post), post.start()))
    if not levels:  # "200 breakout", "180 breakdown": the level said first
        first = re.search(rf"(?:\$\s?)?{NUM}\s+(breakout|break ?out|breakdown|break ?down|"
                          r"break)\b", text)
        if first:
            cond = "cross_below" if "down" in first.group(3) else "cross_above"
            levels.append(Level(cond, _number(first), first.start()))
    return levels


def _break(level: Level, norm: str, price: Callable[[], float | None]) -> Level:
    """'cracks 680 to the downside', 'breaks 250': a crossing, its direction from the trend
    words or the last price (either way when neither says)."""
    up, down = bool(TREND_UP.search(norm)), bool(TREND_DOWN.search(norm))
    if up != down:
        return Level("cross_above" if up else "cross_below", level.value, level.start)
    now = price()
    cond = "cross" if now is None else ("cross_above" if level.value >= now else "cross_below")
    return Level(cond, level.value, level.start)


def resolve_levels(levels: list[Level], norm: str,
                   price: Callable[[], float | None]) -> list[Level] | Ask:
    """Give each directionless level a direction: two of them ("240 or 220") are a range
    (above the higher, below the lower); one said as "hits"/"at" reads the trend words
    ("ripping, ping me at 275") or else the last price; failing both, a crossing."""
    levels = [_break(lv, norm, price) if lv.condition == "break" else lv for lv in levels]
    undirected = [lv for lv in levels if lv.condition in ("level", "at")]
    if not undirected:
        return levels
    if len(levels) == 2 and len(undirected) == 2 and levels[0].value != levels[1].value:
        high, low = sorted(levels, key=lambda lv: -lv.value)
        return [Level("above", high.value, high.start), Level("below", low.value, low.start)]
    up, down = bool(TREND_UP.search(norm)), bool(TREND_DOWN.search(norm))
    if re.search(r"\bbreak ?out\b", norm) and not down:  # "a breakout alert at 165"
        return [Level("cross_above", lv.value, lv.start) if lv.condition in ("level", "at")
                else lv for lv in levels]
    if re.search(r"\bbreak ?down\b", norm) and not up:
        return [Level("cross_below", lv.value, lv.start) if lv.condition in ("level", "at")
                else lv for lv in levels]
    out = []
    for lv in levels:
        if lv.condition in ("level", "at"):
            if up != down:
                lv = Level("above" if up else "below", lv.value, lv.start)
            elif lv.condition == "at":  # "alert at 200": above, below or a cross? ask
                return Ask(f"Should the alert fire when the price goes above ${lv.value:,.2f}, "
                           "below it, or on a cross either way?")
            else:  # "hits 250": from where it is now; unknown price, either way
                now = price()
                cond = "cross" if now is None else ("above" if lv.value >= now else "below")
                lv = Level(cond, lv.value, lv.start)
        out.append(lv)
    return out
