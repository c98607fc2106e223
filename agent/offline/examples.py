"""The example matcher: each intent's example sentences, with their entities masked
("alert me when SYM drops below NUM"), as TF-IDF vectors of words, word pairs and
character 4-grams; a message scores each tool by its nearest examples. It generalises
the trigger phrases to wordings nobody wrote a rule for, and costs well under a
millisecond a message (a few thousand sparse vectors, pure Python)."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

Vector = dict[str, float]

_MASKS: tuple[tuple[str, str], ...] = (
    (r"\$?\b\d+(?:\.\d+)?\s*(?:%|percent|pct)", " pct "),
    (r"\b(?:alert|draft|decision|post|rule|option|#)\s*#?\s*\d+\b", " ref "),
    (r"#\d+\b", " ref "),
    (r"\$?\b\d+(?:\.\d+)?\s*[km]?\b", " num "),
)
STOP = frozenset({"the", "a", "an", "to", "of", "me", "my", "i", "is", "it", "on", "for",
                  "and", "pls", "please", "can", "you", "u", "yo", "hey", "in", "at", "be"})


def mask(norm: str, symbols: Iterable[str] = ()) -> str:
    """``norm`` with its tickers, numbers, percentages and ids replaced by placeholders."""
    text = norm
    for sym in sorted(symbols, key=len, reverse=True):
        text = re.sub(rf"(?<![\w]){re.escape(sym.lower())}(?![\w])", " sym ", text)
    text = re.sub(r"\$[a-z][a-z.\-]*", " sym ", text)
    for pattern, placeholder in _MASKS:
        text = re.sub(pattern, placeholder, text)
    return re.sub(r"\s+", " ", text).strip()


def features(masked: str) -> Counter[str]:
    words = [w for w in re.findall(r"[a-z']+|[<>]", masked)]
    content = [w for w in words if w not in STOP]
    out: Counter[str] = Counter(f"w:{w}" for w in content)
    out.update(f"b:{a}_{b}" for a, b in zip(words, words[1:], strict=False))
    for w in content:
        padded = f"_{w}_"
        out.update(f"c:{padded[i:i + 4]}" for i in range(max(1, len(padded) - 3)))
    return out


class ExampleIndex:
    """Nearest examples by cosine similarity of TF-IDF vectors."""

    def __init__(self, examples: Iterable[tuple[str, str]],
                 masker: Callable[[str], str] = mask) -> None:
        self.masker = masker
        rows = [(label, features(masker(text))) for label, text in examples]
        df: Counter[str] = Counter()
        for _, feats in rows:
            df.update(set(feats))
        n = max(1, len(rows))
        self.idf = {f: math.log((1 + n) / (1 + c)) + 1.0 for f, c in df.items()}
        self.labels: list[str] = []
        self.vectors: list[Vector] = []
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for label, feats in rows:
            vec = self._weigh(feats)
            if not vec:
                continue
            index = len(self.vectors)
            self.labels.append(label)
            self.vectors.append(vec)
            for f, w in vec.items():
                self.postings[f].append((index, w))

    def _weigh(self, feats: Counter[str]) -> Vector:
        vec = {f: (1 + math.log(c)) * self.idf.get(f, 0.0) for f, c in feats.items()}
        norm = math.sqrt(sum(v * v for v in vec.values()))
        return {f: v / norm for f, v in vec.items() if v} if norm else {}

    def scores(self, masked: str, k: int = 2) -> dict[str, float]:
        """Per label, the mean similarity of its ``k`` nearest examples (0..1)."""
        query = self._weigh(features(masked))
        sims: dict[int, float] = defaultdict(float)
        for f, w in query.items():
            for index, v in self.postings.get(f, ()):
                sims[index] += w * v
        best: dict[str, list[float]] = defaultdict(list)
        for index, sim in sims.items():
            best[self.labels[index]].append(sim)
        return {label: sum(sorted(s, reverse=True)[:k]) / k for label, s in best.items()}
