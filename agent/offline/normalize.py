"""Text as the offline model reads it: lower case, simple punctuation, and typos fixed only
where a word is neither English nor a known ticker or name ("allert" -> "alert", never
"earnings" -> "warnings"). English comes from pyspellchecker's word list, loaded once."""

from __future__ import annotations

import difflib
import functools
import re

# chat shorthand that is neither English nor a typo: never "fixed", never a ticker
SLANG = frozenset({
    "2moro", "abt", "abv", "adx", "af", "afaik", "afk", "ai", "am", "api", "asap", "ath", "atl",
    "atm", "atr", "aws", "b4", "bb", "bc", "blw", "brb", "bro", "bruh", "btc", "btw", "cd", "ceo",
    "cet", "cfo", "ci", "coz", "cpi", "cuz", "cya", "db", "dd", "dev", "dm", "dma", "dms", "dte",
    "dunno", "ema", "eod", "eow", "eps", "est", "et", "etf", "etfs", "eth", "fam", "fed", "fomc",
    "fomo", "fr", "fren", "fud", "fyi", "gcp", "gdp", "gg", "gimme", "gm", "gn", "gonna", "gotta",
    "gpt", "hbu", "hey", "hiya", "hmu", "hodl", "hr", "hrs", "idk", "iirc", "ily", "ima", "imho",
    "imo", "infra", "ipo", "irl", "itm", "iv", "k", "k8s", "kk", "lemme", "lfg", "llm", "lmao",
    "lmk", "lol", "ma", "macd", "mcp", "min", "mins", "mo", "mos", "msg", "mtd", "nah", "nasdaq",
    "ndx", "nfp", "ngl", "ngmi", "nope", "np", "nvm", "nyse", "obv", "ok", "okay", "omg", "otm",
    "pc", "pic", "pls", "plz", "pm", "pnl", "ppi", "ppl", "pr", "prod", "pst", "pt", "px", "qoq",
    "r", "repo", "rly", "rn", "rofl", "rsi", "sec", "secs", "ser", "sma", "smh", "sol", "spx",
    "sql", "srry", "sry", "stoch", "sup", "tbh", "tf", "thnx", "tho", "thru", "thx", "tl;dr",
    "tldr", "tmr", "tmrow", "tmrw", "tomoz", "tryna", "ty", "tysm", "u", "ui", "ur", "utc", "vps",
    "vwap", "w/", "w/o", "wagmi", "wanna", "wb", "wbu", "wen", "wip", "wk", "wks", "wtd", "wtf",
    "wyd", "y'all", "ya", "yall", "yea", "yeah", "yep", "yo", "yolo", "yoy", "yr", "yrs", "ytd",
    "yup", "yw",
})


@functools.cache
def english() -> frozenset[str]:
    """Common English words (pyspellchecker's list, frequency 50 and up)."""
    try:
        from spellchecker import SpellChecker
    except ImportError:  # the model still works; typos are fixed a little more eagerly
        return frozenset()
    counts = SpellChecker(distance=1).word_frequency.dictionary
    return frozenset(w for w, n in counts.items() if n >= 50 and w.isalpha())


def is_english(word: str) -> bool:
    return word in english() or word in SLANG


def looks_english(word: str) -> bool:
    """A word of English or chat, or one made from one ("laggy" from lag, "pumped")."""
    if is_english(word):
        return True
    m = re.fullmatch(r"([a-z]{2,}?)([a-z])?\2?(y|ed|ing|er|s)", word)
    if m is None:
        return False
    base = m.group(1) + (m.group(2) or "")
    return len(base) >= 3 and base in english()


_PUNCT = re.compile(r"[^\w$%.,:'&@#/+\-<>=~? ]")
_EMOJI_WORDS = {"🚀": " ", "📈": " up ", "📉": " down ", "🔔": " alert ", "⏰": " alert ",
                "👍": " yes ", "👎": " no ", "🙏": " thanks ", "❤️": " ", "🔥": " "}


# chat shorthand spelled out, so one trigger phrase covers both
EXPAND = {"abt": "about", "bout": "about", "howd": "how did", "hows": "how is",
          "wat": "what", "wats": "whats", "wut": "what", "u": "you", "ur": "your",
          "pls": "please", "plz": "please", "tmrw": "tomorrow", "tmr": "tomorrow",
          "tmrow": "tomorrow", "2moro": "tomorrow", "b4": "before", "thx": "thanks",
          "thnx": "thanks", "wl": "watchlist", "sched": "schedule", "perf": "performance",
          "alrt": "alert", "alrts": "alerts", "chrt": "chart", "pic": "picture",
          "msg": "message", "rly": "really", "ppl": "people", "cuz": "because",
          "coz": "because", "smth": "something", "sth": "something", "gimme": "give me",
          "lemme": "let me", "wanna": "want to", "gonna": "going to", "whos": "who is",
          "wheres": "where is", "whens": "when is", "im": "i am", "ive": "i have",
          "dont": "do not", "didnt": "did not", "doesnt": "does not", "isnt": "is not",
          "cant": "can not", "wont": "will not", "thats": "that is", "theres": "there is",
          "ya": "you", "yall": "you all", "nah": "no", "yea": "yes", "yeah": "yes",
          "yep": "yes", "yup": "yes", "ok": "okay", "k": "okay", "kk": "okay",
          "teh": "the", "hte": "the", "adn": "and", "taht": "that", "waht": "what",
          "whta": "what", "jsut": "just", "nad": "and", "fo": "of", "ot": "to",
          "alarm": "alert", "alarms": "alerts", "graphic": "chart", "graph": "chart"}


def simplify(text: str) -> str:
    """Lower case, one space between words, emoji out (a few read as words)."""
    t = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    for emoji, word in _EMOJI_WORDS.items():
        t = t.replace(emoji, word)
    t = t.lower()
    t = re.sub(r"\b(what|that|it|there|here|who|where|how|he|she|when)'s\b", r"\1 is", t)
    t = re.sub(r"(?<=\w)'s\b", "", t)  # possessives: "apple's" -> "apple"
    t = re.sub(r"\b(\w+)n't\b", r"\1 not", t)
    t = re.sub(r"(\d),(\d{3})\b", r"\1\2", t)  # 1,250 -> 1250
    t = _PUNCT.sub(" ", t)
    t = re.sub(r"(?<![\d])[.,:;!?]+(?=\s|$)", " ", t)  # sentence punctuation, not 2.5 or 9:30
    t = re.sub(r"(?<=\d)[.,:!?]+(?=\s|$)", " ", t)
    t = re.sub(r"\?", " ", t)
    t = re.sub(r"\s+", " ", t).strip()
    return " ".join(EXPAND.get(w, w) for w in t.split(" "))


def fix_typos(text: str, vocabulary: frozenset[str], protected: frozenset[str]) -> str:
    """Replace a word of four letters or more that is not English, not ``protected`` (tickers,
    names) and not already in ``vocabulary`` by the closest vocabulary word, if close."""
    words = []
    for w in text.split(" "):
        if len(w) >= 4 and w.isalpha() and w not in vocabulary and w not in protected \
                and not is_english(w):
            match = difflib.get_close_matches(w, vocabulary, n=1, cutoff=0.8)
            if match:
                w = match[0]
        words.append(w)
    return " ".join(words)
