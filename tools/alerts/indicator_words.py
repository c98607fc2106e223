"""Indicator and channel requests in plain words: "RSI on TSLA goes above 70", "AAPL
crosses its 50-day moving average", "volume spike on NVDA 3x", "AAPL leaves the 190-210
range". An indicator request is never read as a price alert: what it leaves out is asked."""

from __future__ import annotations

import re

from core.grammar import Args, Ask

INDICATOR_TICKERS = {"RSI", "SMA", "EMA", "MA", "DMA"}  # words, not the tickers they spell
RSI = re.compile(r"\brsi\b(?:\s*\(?\s*(?P<n>\d{1,3})\s*\)?)?")
MA = re.compile(r"(?:\b(?P<n>\d{1,3})\s*[- ]?\s*(?:day|session|d|period)?s?\s*"
                r"(?P<k1>simple |exponential )?(?:moving average|sma|ema|ma|dma)\b)"
                r"|(?:\b(?P<k2>sma|ema)\s*\(?\s*(?P<m>\d{1,3})\b)"
                r"|\b(?P<bare>(?:simple |exponential )?moving average|sma|ema)\b")
VOLUME = re.compile(r"\b(?:volume (?:spike|surge|jump|explodes|explosion)|unusual volume|"
                    r"(?:spike|surge|jump) in volume|volume is (?:\d+(?:\.\d+)?\s*x|"
                    r"\d+ times))")
MULTIPLE = re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:x\b|times\b)")
CHANNEL = re.compile(r"\b(?P<verb>enters|enter|leaves|leave|exits|exit|breaks out of|"
                     r"inside|within|outside|out of|stays in|stays inside)\s+(?:the\s+|its\s+|a\s+)?"
                     r"(?:range|channel|band)?\s*(?:of\s+|between\s+)?\$?(?P<lo>\d+(?:\.\d+)?)"
                     r"\s*(?:-|to|and)\s*\$?(?P<hi>\d+(?:\.\d+)?)")
ABOVE = re.compile(r"\b(above|over|greater than|higher than|>|exceeds|hits|reaches)\b|>")
BELOW = re.compile(r"\b(below|under|less than|lower than|drops to|falls to)\b|<")


def said(norm: str) -> bool:
    """Whether the message asks for an indicator or a channel alert."""
    return bool(RSI.search(norm) or MA.search(norm) or VOLUME.search(norm)
                or CHANNEL.search(norm) or re.search(r"\b(overbought|oversold)\b", norm))


def _direction(text: str) -> str | None:
    crossing = re.search(r"\bcross(?:es|ing)?\b", text)
    up = re.search(r"\b(?:cross(?:es|ing)? (?:above|over|up)|breaks above|reclaims)\b", text)
    down = re.search(r"\b(?:cross(?:es|ing)? (?:below|under|down)|breaks below|loses)\b", text)
    if up:
        return "cross_above"
    if down:
        return "cross_below"
    if crossing:
        return "cross"
    if BELOW.search(text):
        return "below"
    if ABOVE.search(text):
        return "above"
    return None


def read(norm: str, symbol: str) -> Args | Ask | None:
    """The create_alert arguments (without the common ones) an indicator request says, a
    question when it leaves something out, None when it asks for no indicator."""
    channel = CHANNEL.search(norm)
    if channel:
        verb = channel.group("verb")
        cond = ("entering_channel" if verb.startswith("enter") else
                "exiting_channel" if verb in ("leaves", "leave", "exits", "exit",
                                              "breaks out of") else
                "outside_channel" if verb in ("outside", "out of") else "inside_channel")
        return {"symbol": symbol, "condition": cond, "threshold": float(channel.group("lo")),
                "upper": float(channel.group("hi"))}
    if re.search(r"\boverbought\b", norm) and not RSI.search(norm):
        return {"symbol": symbol, "condition": "rsi_above", "threshold": 70.0}
    if re.search(r"\boversold\b", norm) and not RSI.search(norm):
        return {"symbol": symbol, "condition": "rsi_below", "threshold": 30.0}
    rsi = RSI.search(norm)
    if rsi:
        rest = norm[rsi.end():]
        level = re.search(r"(\d+(?:\.\d+)?)", RSI.sub(" ", rest) if False else rest)
        way = "rsi_below" if BELOW.search(rest) or "oversold" in norm else \
            "rsi_above" if ABOVE.search(rest) or "overbought" in norm or \
            re.search(r"\bcross", rest) else None
        if level is None or way is None:
            return Ask(f"At what RSI level should the {symbol} alert fire, and above or "
                       "below? e.g. 'RSI above 70'.")
        args: Args = {"symbol": symbol, "condition": way, "threshold": float(level.group(1))}
        if rsi.group("n"):
            args["period"] = int(rsi.group("n"))
        return args
    if VOLUME.search(norm):
        times = MULTIPLE.search(norm)
        if times is None:
            return Ask(f"How big a volume spike on {symbol}: 2x, 3x the 20-session average?")
        return {"symbol": symbol, "condition": "volume_spike",
                "threshold": float(times.group(1))}
    ma = MA.search(norm)
    if ma:
        kind = "ema" if "ema" in ma.group(0) or "exponential" in ma.group(0) else "sma"
        n = ma.group("n") or ma.group("m")
        way = _direction(norm[:ma.start()]) or _direction(norm)
        if n is None:
            return Ask(f"Which moving average of {symbol}: 20, 50 or 200 sessions?")
        if way is None:
            return Ask(f"Should the {symbol} alert fire above its {n}-session average, below "
                       "it, or on a cross?")
        return {"symbol": symbol, "condition": f"{way}_{kind}", "threshold": float(n)}
    return None
