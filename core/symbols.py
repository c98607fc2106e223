"""Symbols the co-pilot knows without a provider: tickers, company names, base prices.

Used by the offline provider, by ticker autocomplete and by the offline model to map
"Apple" to AAPL. Base prices only seed the demo data.
"""

from __future__ import annotations

from core.market import SymbolInfo

# symbol: (name, exchange, type, demo base price, extra names people use)
UNIVERSE: dict[str, tuple[str, str, str, float, tuple[str, ...]]] = {
    "AAPL": ("Apple Inc.", "NASDAQ", "Equity", 228.0, ("apple",)),
    "MSFT": ("Microsoft Corporation", "NASDAQ", "Equity", 425.0, ("microsoft",)),
    "NVDA": ("NVIDIA Corporation", "NASDAQ", "Equity", 138.0, ("nvidia",)),
    "TSLA": ("Tesla, Inc.", "NASDAQ", "Equity", 245.0, ("tesla",)),
    "AMZN": ("Amazon.com, Inc.", "NASDAQ", "Equity", 186.0, ("amazon",)),
    "GOOGL": ("Alphabet Inc. Class A", "NASDAQ", "Equity", 168.0, ("google", "alphabet")),
    "META": ("Meta Platforms, Inc.", "NASDAQ", "Equity", 575.0, ("meta", "facebook")),
    "NFLX": ("Netflix, Inc.", "NASDAQ", "Equity", 700.0, ("netflix",)),
    "AMD": ("Advanced Micro Devices, Inc.", "NASDAQ", "Equity", 155.0, ("amd",)),
    "INTC": ("Intel Corporation", "NASDAQ", "Equity", 22.0, ("intel",)),
    "ORCL": ("Oracle Corporation", "NYSE", "Equity", 170.0, ("oracle",)),
    "CRM": ("Salesforce, Inc.", "NYSE", "Equity", 290.0, ("salesforce",)),
    "ADBE": ("Adobe Inc.", "NASDAQ", "Equity", 500.0, ("adobe",)),
    "AVGO": ("Broadcom Inc.", "NASDAQ", "Equity", 170.0, ("broadcom",)),
    "QCOM": ("QUALCOMM Incorporated", "NASDAQ", "Equity", 165.0, ("qualcomm",)),
    "IBM": ("International Business Machines", "NYSE", "Equity", 215.0, ("ibm",)),
    "PLTR": ("Palantir Technologies Inc.", "NYSE", "Equity", 42.0, ("palantir",)),
    "UBER": ("Uber Technologies, Inc.", "NYSE", "Equity", 75.0, ("uber",)),
    "SHOP": ("Shopify Inc.", "NYSE", "Equity", 80.0, ("shopify",)),
    "COIN": ("Coinbase Global, Inc.", "NASDAQ", "Equity", 200.0, ("coinbase",)),
    "DIS": ("The Walt Disney Company", "NYSE", "Equity", 95.0, ("disney",)),
    "NKE": ("NIKE, Inc.", "NYSE", "Equity", 78.0, ("nike",)),
    "SBUX": ("Starbucks Corporation", "NASDAQ", "Equity", 97.0, ("starbucks",)),
    "MCD": ("McDonald's Corporation", "NYSE", "Equity", 300.0, ("mcdonalds", "mcdonald's")),
    "KO": ("The Coca-Cola Company", "NYSE", "Equity", 70.0, ("coca-cola", "coke", "coca cola")),
    "PEP": ("PepsiCo, Inc.", "NASDAQ", "Equity", 170.0, ("pepsi", "pepsico")),
    "WMT": ("Walmart Inc.", "NYSE", "Equity", 80.0, ("walmart",)),
    "COST": ("Costco Wholesale Corporation", "NASDAQ", "Equity", 900.0, ("costco",)),
    "JPM": ("JPMorgan Chase & Co.", "NYSE", "Equity", 220.0, ("jpmorgan", "jp morgan", "chase")),
    "BAC": ("Bank of America Corporation", "NYSE", "Equity", 40.0, ("bank of america",)),
    "GS": ("The Goldman Sachs Group, Inc.", "NYSE", "Equity", 520.0, ("goldman", "goldman sachs")),
    "V": ("Visa Inc.", "NYSE", "Equity", 290.0, ("visa",)),
    "MA": ("Mastercard Incorporated", "NYSE", "Equity", 510.0, ("mastercard",)),
    "PYPL": ("PayPal Holdings, Inc.", "NASDAQ", "Equity", 80.0, ("paypal",)),
    "BRK.B": ("Berkshire Hathaway Inc. Class B", "NYSE", "Equity", 460.0, ("berkshire", "berkshire b", "berkshire hathaway", "brk b", "brk.b", "brkb")),
    "JNJ": ("Johnson & Johnson", "NYSE", "Equity", 160.0, ("johnson & johnson", "j&j")),
    "PFE": ("Pfizer Inc.", "NYSE", "Equity", 28.0, ("pfizer",)),
    "LLY": ("Eli Lilly and Company", "NYSE", "Equity", 880.0, ("eli lilly", "lilly")),
    "XOM": ("Exxon Mobil Corporation", "NYSE", "Equity", 118.0, ("exxon",)),
    "CVX": ("Chevron Corporation", "NYSE", "Equity", 150.0, ("chevron",)),
    "BA": ("The Boeing Company", "NYSE", "Equity", 155.0, ("boeing",)),
    "F": ("Ford Motor Company", "NYSE", "Equity", 11.0, ("ford",)),
    "GM": ("General Motors Company", "NYSE", "Equity", 50.0, ("general motors",)),
    "T": ("AT&T Inc.", "NYSE", "Equity", 22.0, ("at&t",)),
    "SPY": ("SPDR S&P 500 ETF Trust", "NYSE Arca", "ETF", 580.0, ("s&p 500", "s&p", "spx")),
    "QQQ": ("Invesco QQQ Trust", "NASDAQ", "ETF", 500.0, ("nasdaq 100", "nasdaq")),
    "IWM": ("iShares Russell 2000 ETF", "NYSE Arca", "ETF", 220.0, ("russell 2000", "russell")),
    "DIA": ("SPDR Dow Jones Industrial Average ETF", "NYSE Arca", "ETF", 420.0, ("dow jones", "the dow")),
    "GLD": ("SPDR Gold Shares", "NYSE Arca", "ETF", 245.0, ("gold",)),
    "BTC-USD": ("Bitcoin USD", "CRYPTO", "Crypto", 68000.0, ("bitcoin", "btc")),
    "ETH-USD": ("Ethereum USD", "CRYPTO", "Crypto", 2600.0, ("ethereum", "eth")),
    "SOL-USD": ("Solana USD", "CRYPTO", "Crypto", 150.0, ("solana",)),
}

# how people call a ticker by its kind ("the bank one", "the chip one")
KINDS: dict[str, frozenset[str]] = {
    "bank": frozenset({"JPM", "BAC", "GS"}), "chip": frozenset({"NVDA", "AMD", "INTC", "AVGO",
                                                               "QCOM"}),
    "crypto": frozenset({"BTC-USD", "ETH-USD", "SOL-USD", "COIN"}),
    "etf": frozenset({"SPY", "QQQ", "IWM", "DIA", "GLD"}), "index": frozenset({"SPY", "QQQ",
                                                                              "IWM", "DIA"}),
    "oil": frozenset({"XOM", "CVX"}), "pharma": frozenset({"JNJ", "PFE", "LLY"}),
    "car": frozenset({"TSLA", "F", "GM"}), "payments": frozenset({"V", "MA", "PYPL"}),
}
KINDS |= {"semi": KINDS["chip"], "semis": KINDS["chip"], "energy": KINDS["oil"],
          "coin": KINDS["crypto"], "auto": KINDS["car"], "ev": KINDS["car"],
          "drug": KINDS["pharma"], "card": KINDS["payments"]}

NAME_TO_SYMBOL: dict[str, str] = {
    alias: sym for sym, (*_, aliases) in UNIVERSE.items() for alias in aliases
}


def info(symbol: str) -> SymbolInfo | None:
    row = UNIVERSE.get(symbol)
    if row is None:
        return None
    name, exchange, kind, _price, _aliases = row
    return SymbolInfo(symbol=symbol, name=name, exchange=exchange, type=kind)


def search(query: str, limit: int = 10) -> list[SymbolInfo]:
    """Symbols whose ticker or name starts with or contains ``query`` (best first)."""
    import difflib

    q = query.strip().lower()
    if not q:
        return []
    scored: list[tuple[float, str]] = []
    for sym, (name, *_rest, aliases) in UNIVERSE.items():
        hay = [sym.lower(), name.lower(), *aliases]
        if any(h.startswith(q) for h in hay):
            score = 3.0 if sym.lower() == q else 2.0
        elif any(q in h for h in hay):
            score = 1.0
        else:
            score = max(difflib.SequenceMatcher(None, q, h).ratio() for h in hay)
            if score < 0.6:
                continue
        scored.append((score, sym))
    scored.sort(key=lambda pair: (-pair[0], pair[1]))
    return [i for _, sym in scored[:limit] if (i := info(sym)) is not None]
