"""The alerts capability's share of the offline grammar: create (one or several alerts in a
message, every slot kept: direction, level or move, frequency, expiry, note), update,
list, delete (one, or all on a symbol behind a confirmation), snooze and history; the
follow-ups that change the alert just made ("make it 190", "actually every time", "same
for AMD"), and the refusals of what alerts cannot watch yet (indicators, volume)."""

from __future__ import annotations

from core.grammar import (
    FollowUp,
    Grammar,
    Intent,
    Refusal,
)
from tools.alerts.evidence import (
    about_alerts,
    change_evidence,
    create_evidence,
    may_change,
    may_create,
    no_other_ids,
    not_a_new_alert,
)
from tools.alerts.followups import (
    again,
    and_that_one,
    bare_level,
    change_it,
    confirm,
    correct,
    delete,
    history,
    list_alerts,
    narrow,
    pause,
    revert,
    same_for,
    show_them,
    snooze,
    update,
)
from tools.alerts.reading import (
    CAN_WATCH,
    create,
)

# indicators the engine cannot watch (RSI, moving averages, volume and channels it can)
UNSUPPORTED = (r"\b(macd|vwap|bollinger|stoch(?:astic)?s?|golden cross|death cross|adx|atr|obv|"
               r"ichimoku|fib(?:onacci)?|open interest|implied vol(?:atility)?|\biv\b|"
               # one moving average crossing another (the engine compares price with one)
               r"\d+ ?(?:-? ?days?|d)? ?(?:ma|sma|ema|dma|moving average)s? (?:\w+ )?cross\w*"
               r"(?: (?:above|below|over|under|up|down))?(?: the| its)? \d+ ?(?:-? ?days?|d)? ?"
               r"(?:ma|sma|ema|dma)?|"
               r"(?:ma|moving average) cross(?:over)?)\b")

GRAMMAR = Grammar(
    intents=(
        Intent(
            "create_alert",
            {"alert": 2.5, "alert me": 3, "alerts": 0.5, "notify": 3, "ping me": 3.5,
             "ping": 2.5, "tell me when": 3.5, "tell me if": 3.5, "let me know": 3, "lmk": 3,
             "heads up": 3, "alarm": 2.5, "warn me": 3, "text me": 3, "dm me": 3,
             "hit me up": 3, "wake me up": 3, "buzz me": 3, "holler": 2.5, "shout": 2,
             "need to hear": 3, "want to know": 3, "want to hear": 3, "keep me posted": 3,
             "flag": 2, "heads-up": 3, "keep an eye": 2, "in front of my screen": 3,
             "set": 0.8, "when": 1, "if": 0.8, "crosses": 1.5, "crossing": 1.5, "breaks": 1.2,
             "above": 1, "below": 1, "under": 1, "over": 0.8, ">": 1.5, "<": 1.5,
             "drops": 0.8, "falls": 0.8, "dumps": 0.8, "hits": 0.8, "moves": 0.8,
             "watch for": 2, "trigger": 1.5, "%": 0.5, "rips": 0.8, "pops": 0.8,
             "jumps": 0.8, "tanks": 0.8, "whenever": 1, "once a day": 1, "every time": 1},
            create,
            missing="Which ticker and level should the alert watch? e.g. 'alert me when "
                    "AAPL goes above 200'.",
            needs_symbol=True,
            # "list" vetoes it too (may_create) unless it names the list an alert is over
            vetoes=("delete", "remove", "cancel", "snooze", "mute", "silence",
                    "my alerts", "which alerts", "what alerts", "active alerts", "kill",
                    "alerts do i", "fired", "triggered", "went off", "go off", "history",
                    "update", "change alert", "nuke", "get rid", "do i have",
                    "do i already", "have an alert", "any alerts", "alerts set",
                    "market is open", "whether the market", "is the market"),
            examples=(
                "alert me when sym goes above num", "ping me if sym drops below num",
                "tell me when sym crosses num", "lmk if sym breaks above num",
                "sym under num alert", "sym > num alert pls", "notify me when sym < num",
                "set an alert for sym over num", "sym falls pct lmk", "sym jumps pct ping me",
                "alert if sym moves pct in num minutes", "heads up if sym dumps to num",
                "wake me up if sym rips past num", "sym drops num bucks alert",
                "sym crossing num either way every time", "let me know if sym is up num bucks",
            ),
            mutating=True,
            when=may_create,
            evidence=create_evidence,
        ),
        Intent(
            "update_alert",
            {"change": 2, "update": 2.5, "edit": 2, "modify": 2.5, "adjust": 2.5,
             "bump": 2.5, "move": 1.2, "raise": 1.5, "lower": 1.5, "widen": 2.5,
             "extend": 2.5, "switch": 2, "make": 1, "add a note": 2.5, "note": 1.5,
             "instead": 1.5, "to": 0.3, "alert": 0.8, "expiry": 2, "expire": 2,
             "forever": 1.5, "window": 2, "fire every time": 2, "once a day": 1,
             "every time": 1, "set the": 1},
            update,
            missing="Which alert should I change?",
            vetoes=("delete", "remove alert", "cancel", "snooze", "mute", "watchlist",
                    "draft", "post", "autopilot", "decision"),
            examples=(
                "change alert ref to num", "bump alert ref up to num", "make alert ref fire "
                "every time", "alert ref only once a day", "extend alert ref till friday",
                "add a note to alert ref", "switch alert ref to crosses below",
                "update alert ref threshold num", "move alert ref to num",
            ),
            mutating=True,
            when=may_change,
            boost=change_evidence,
        ),
        Intent(
            "list_alerts",
            {"alerts": 3, "my alerts": 4, "list": 1.5, "show": 1, "active": 1.5, "which": 1,
             "what": 0.5, "set up": 1, "open": 0.8, "rules": 2, "do i have": 1.5,
             "alert list": 4, "alert-wise": 3, "alert wise": 3, "got": 0.5, "set": 0.5,
             "have an alert": 3, "already": 1, "anything set": 3.5, "set on": 2,
             "levels": 2.5, "what levels": 3.5, "got on": 1.5, "i have set": 3,
             "still live": 3, "whats left": 3, "what is left": 3, "left": 1, "live": 1,
             "how many": 2},
            list_alerts,
            vetoes=("delete", "remove", "cancel", "snooze", "mute", "kill", "silence",
                    "autopilot", "decisions", "fired", "triggered", "went off", "go off",
                    "history", "nuke", "delivered", "hit today", "dismiss", "fire", "service",
                    "it work", "working"),
            examples=("show my alerts", "what alerts do i have", "list alerts for sym",
                      "any sym alerts set", "alerts?", "which alerts are active",
                      "what am i watching for on sym alert-wise"),
            boost=not_a_new_alert,
        ),
        Intent(
            "delete_alert",
            {"delete": 3, "remove": 3, "cancel": 3, "kill": 3, "drop": 2.5, "get rid of": 3,
             "rm": 3, "nuke": 3, "scrap": 3, "trash": 3, "clear": 2, "bin": 2.5, "ditch": 3,
             "wipe": 3, "wipe out": 3, "clear out": 2,
             "alert": 1.5, "alerts": 1.5, "rule": 1, "turn off": 1.5, "stop": 1},
            delete,
            missing="Which alert number should I delete? 'list alerts' shows them.",
            vetoes=("watchlist", "watch list", "draft", "autopilot", "post", "note",
                    "expiry", "decision", "decisions"),
            examples=("delete alert ref", "cancel alert ref", "kill alert ref",
                      "nuke all my sym alerts", "remove the sym alerts", "get rid of alert ref",
                      "delete it", "remove that alert"),
            mutating=True,
            when=about_alerts,
        ),
        Intent(
            "snooze_alert",
            {"snooze": 4, "mute": 3.5, "silence": 3.5, "pause": 3, "quiet": 2.5, "shut": 2.5,
             "shut up": 3, "shh": 3.5, "hush": 3.5, "hold off": 2.5, "alert": 1, "for": 0.3},
            snooze,
            missing="Which alert number should I snooze, and for how long?",
            vetoes=("autopilot", "incident", "all", "every", "everything", "decisions"),
            examples=("snooze alert ref for an hour", "mute alert ref for num min",
                      "silence alert ref for a day", "shh alert ref", "snooze it"),
            mutating=True,
            when=no_other_ids,
        ),
        Intent(
            "pause_alert",
            {"pause": 4, "unpause": 4.5, "resume": 4.5, "reactivate": 4, "re-enable": 4,
             "back on": 2.5, "turn back on": 3.5, "alerts": 1, "alert": 1},
            pause,
            missing="Which alert should I pause or resume?",
            vetoes=("autopilot", "incident", "decisions", "draft", "watchlist"),
            examples=("pause my sym alerts", "pause alert ref", "resume alert ref",
                      "unpause the sym alerts", "turn alert ref back on"),
            mutating=True,
            when=lambda e, ctx: no_other_ids(e, ctx) and e.duration_min is None,
        ),
        Intent(
            "alert_history",
            {"fired": 4, "triggered": 4, "went off": 4, "go off": 4, "gone off": 4,
             "alert history": 5, "history": 1.5, "hit today": 3, "delivered": 3,
             "did my alerts": 3, "what alerted": 3.5, "trigger": 2, "fire": 2.5,
             "pinged": 2.5, "hit yesterday": 3, "hit": 1, "yesterday": 1.5, "today": 1,
             "this week": 1, "get delivered": 3, "fire in": 3, "fired in": 3, "fire today": 3},
            history,
            vetoes=("autopilot", "draft", "when it fires", "delete", "clear", "dismiss",
                    "saw them", "being delivered", "getting delivered"),
            examples=("what fired today", "alert history last 24h", "any alerts go off on sym",
                      "which alerts hit yesterday", "what triggered on sym this week",
                      "did my alerts get delivered"),
        ),
    ),
    words=frozenset({"alert", "alerts", "snooze", "notify", "crosses", "above", "below"}),
    follow_ups=(FollowUp("confirm-alert", confirm), FollowUp("correct-alert", correct),
                FollowUp("revert-alert", revert), FollowUp("snooze-again", again),
                FollowUp("show-alerts", show_them), FollowUp("alert-or-quote", bare_level),
                FollowUp("same-alert", same_for), FollowUp("and-that-one", and_that_one),
                FollowUp("narrow-alerts", narrow), FollowUp("change-alert", change_it)),
    refusals=(
        Refusal("unsnooze",
                r"\b(undo|cancel|lift|end|stop|remove)\s+(?:the\s+|that\s+|its\s+)?snooze\b|"
                r"\bunsnooze\b",
                "A snooze can't be lifted early; it ends by itself at the time I said. If you "
                "need the alert back now, delete it and set it again."),
        Refusal("indicator-alert",
                rf"{UNSUPPORTED}.{{0,60}}\b(alert|ping|notify|tell|lmk|let me know|warn|"
                r"above|below|over|under|cross|>|<)\b|"
                rf"\b(alert|ping|notify|tell|lmk|let me know|warn)\b.{{0,60}}{UNSUPPORTED}",
                "I can't alert on that indicator (MACD, VWAP, Bollinger bands, stochastics, "
                "ATR, one moving average crossing another, ...) yet. " + CAN_WATCH
                + ", moving averages (SMA/EMA of N sessions), "
                "RSI, a volume spike or a channel: say e.g. 'alert me when TSLA's RSI goes "
                "above 70'."),
    ),
)
