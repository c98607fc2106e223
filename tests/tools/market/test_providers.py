"""Alpha Vantage and Finnhub against respx, with the providers' documented JSON shapes."""

from __future__ import annotations

import httpx
import pytest
import respx

from core.errors import RateLimited
from core.limits import TransientError
from tools.market.errors import NoAccess, SymbolNotFound
from tools.market.providers.alphavantage import BASE_URL as AV
from tools.market.providers.alphavantage import AlphaVantageProvider
from tools.market.providers.finnhub import BASE_URL as FH
from tools.market.providers.finnhub import FinnhubProvider

AV_QUOTE = {"Global Quote": {
    "01. symbol": "IBM", "02. open": "226.4500", "03. high": "227.9800", "04. low": "224.3900",
    "05. price": "226.9900", "06. volume": "3432159", "07. latest trading day": "2026-11-23",
    "08. previous close": "227.2500", "09. change": "-0.2600", "10. change percent": "-0.1144%",
}}
AV_DAILY = {
    "Meta Data": {"1. Information": "Daily Prices (open, high, low, close) and Volumes",
                  "2. Symbol": "IBM", "3. Last Refreshed": "2026-11-23",
                  "4. Output Size": "Compact", "5. Time Zone": "US/Eastern"},
    "Time Series (Daily)": {
        "2026-11-23": {"1. open": "226.45", "2. high": "227.98", "3. low": "224.39",
                       "4. close": "226.99", "5. volume": "3432159"},
        "2026-11-20": {"1. open": "220.00", "2. high": "226.00", "3. low": "219.50",
                       "4. close": "225.10", "5. volume": "4100000"},
    },
}
AV_NOTE = {"Note": "Thank you for using Alpha Vantage! Our standard API call frequency is "
                   "25 requests per day."}
AV_INFO = {"Information": "We have detected your API key as XYZ and our standard API rate "
                          "limit is 25 requests per day."}
AV_ERROR = {"Error Message": "Invalid API call. Please retry or visit the documentation "
                             "(https://www.alphavantage.co/documentation/) for GLOBAL_QUOTE."}
FH_QUOTE = {"c": 261.74, "d": 1.45, "dp": 0.557, "h": 263.31, "l": 260.68, "o": 261.07,
            "pc": 260.29, "t": 1795512600}
FH_UNKNOWN = {"c": 0, "d": None, "dp": None, "h": 0, "l": 0, "o": 0, "pc": 0, "t": 0}


@pytest.fixture
async def http():
    async with httpx.AsyncClient() as client:
        yield client


@respx.mock
async def test_alphavantage_quote_parses_documented_shape(http, fixed_clock):
    route = respx.get(AV).mock(return_value=httpx.Response(200, json=AV_QUOTE))
    q = await AlphaVantageProvider(http, "k", clock=fixed_clock).quote("IBM")
    assert (q.price, q.change, q.change_pct, q.volume) == (226.99, -0.26, -0.1144, 3432159)
    assert route.calls.last.request.url.params["function"] == "GLOBAL_QUOTE"


@respx.mock
@pytest.mark.parametrize("body", [AV_NOTE, AV_INFO])
async def test_alphavantage_note_and_information_mean_rate_limited(http, body):
    respx.get(AV).mock(return_value=httpx.Response(200, json=body))
    with pytest.raises(RateLimited, match="25 requests a day"):
        await AlphaVantageProvider(http, "k").quote("IBM")


@respx.mock
async def test_alphavantage_error_message_is_unknown_symbol(http):
    respx.get(AV).mock(return_value=httpx.Response(200, json=AV_ERROR))
    with pytest.raises(SymbolNotFound, match="ZZZZ"):
        await AlphaVantageProvider(http, "k").quote("ZZZZ")


@respx.mock
async def test_alphavantage_empty_global_quote_is_unknown_symbol(http):
    respx.get(AV).mock(return_value=httpx.Response(200, json={"Global Quote": {}}))
    with pytest.raises(SymbolNotFound):
        await AlphaVantageProvider(http, "k").quote("ZZZZ")


@respx.mock
async def test_alphavantage_daily_is_sorted_oldest_first(http):
    respx.get(AV).mock(return_value=httpx.Response(200, json=AV_DAILY))
    bars = await AlphaVantageProvider(http, "k").daily("IBM", 30)
    assert [b.close for b in bars] == [225.10, 226.99]


@respx.mock
async def test_alphavantage_symbol_search(http):
    respx.get(AV).mock(return_value=httpx.Response(200, json={"bestMatches": [
        {"1. symbol": "TSCO.LON", "2. name": "Tesco PLC", "3. type": "Equity",
         "4. region": "United Kingdom", "8. currency": "GBX", "9. matchScore": "0.7273"}]}))
    found = await AlphaVantageProvider(http, "k").search("tesco")
    assert found[0].symbol == "TSCO.LON" and found[0].name == "Tesco PLC"


@respx.mock
async def test_finnhub_quote(http):
    route = respx.get(f"{FH}/quote").mock(return_value=httpx.Response(200, json=FH_QUOTE))
    q = await FinnhubProvider(http, "secret").quote("AAPL")
    assert (q.price, q.change_pct, q.prev_close) == (261.74, 0.557, 260.29)
    assert q.as_of.timestamp() == 1795512600
    assert route.calls.last.request.url.params["token"] == "secret"


@respx.mock
async def test_finnhub_all_zero_quote_is_unknown_symbol(http):
    respx.get(f"{FH}/quote").mock(return_value=httpx.Response(200, json=FH_UNKNOWN))
    with pytest.raises(SymbolNotFound):
        await FinnhubProvider(http, "k").quote("ZZZZ")


@respx.mock
async def test_finnhub_429_and_5xx_are_transient(http):
    respx.get(f"{FH}/quote").mock(side_effect=[
        httpx.Response(429, json={"error": "API limit reached. Please try again later."},
                       headers={"Retry-After": "2"}),
        httpx.Response(502, text="bad gateway"),
    ])
    p = FinnhubProvider(http, "k")
    with pytest.raises(TransientError) as first:
        await p.quote("AAPL")
    assert first.value.retry_after == 2.0
    with pytest.raises(TransientError, match="HTTP 502"):
        await p.quote("AAPL")


@respx.mock
async def test_finnhub_candles_403_is_no_access(http):
    respx.get(f"{FH}/stock/candle").mock(
        return_value=httpx.Response(403, json={"error": "You don't have access to this resource."}))
    with pytest.raises(NoAccess, match="not in your plan"):
        await FinnhubProvider(http, "k").daily("AAPL", 30)


@respx.mock
async def test_timeouts_are_transient(http):
    respx.get(f"{FH}/quote").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(TransientError, match="did not answer"):
        await FinnhubProvider(http, "k").quote("AAPL")
