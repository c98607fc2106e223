"""Each analyzer on positive and negative inventories; bad YAML; the owner's stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from agent.runtime import open_runtime
from cli import app
from core.errors import InvalidInput
from tools.architecture.analyzers import ANALYZERS, analyze
from tools.architecture.inventory import parse_inventory
from tools.architecture.plan import migration_plan

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "victor-stack.yaml"
CODES = {"redundant-workflow", "stack-fragmentation", "legacy-still-primary",
         "polling-instead-of-events", "missing-observability", "duplicated-api-access",
         "unshielded-rate-limit", "single-point-of-failure"}


def inv(components, externals=(), people=({"name": "Ann", "roles": ["dev"]},
                                          {"name": "Bob", "roles": ["ops"]})):
    return parse_inventory(yaml.safe_dump({"name": "t", "people": list(people),
                                           "components": list(components),
                                           "externals": list(externals)}))


def c(name, **kw):
    base = {"name": name, "kind": "service", "tech": ["python"], "status": "active",
            "observability": ["grafana"], "owner": "Ann"}
    return {**base, **kw}


def codes(inventory, code):
    return [f for f in ANALYZERS[code](inventory)]


def test_registry_has_one_analyzer_per_code():
    assert set(ANALYZERS) == CODES


def test_redundant_workflow():
    pos = inv([c("a", responsibilities=["alerts"]), c("b", responsibilities=["alerts"])])
    assert codes(pos, "redundant-workflow")[0].components == ["a", "b"]
    planned = inv([c("a", responsibilities=["alerts"]),
                   c("b", responsibilities=["alerts"], status="planned")])
    assert codes(planned, "redundant-workflow") == []  # planned is not live


def test_stack_fragmentation():
    pos = inv([c("a", tech=["php"]), c("b", tech=["python"]), c("c", tech=["react"])])
    f = codes(pos, "stack-fragmentation")[0]
    assert "php: a" in f.evidence and f.severity == "medium"
    legacy_pair = inv([c("old", tech=["php"], status="legacy", responsibilities=["ui"]),
                       c("new", tech=["react"], responsibilities=["ui"])])
    assert codes(legacy_pair, "stack-fragmentation")[0].severity == "high"
    assert codes(inv([c("a"), c("b", tech=["python"])]), "stack-fragmentation") == []


def test_legacy_still_primary():
    pos = inv([c("old", status="legacy", responsibilities=["ui", "alerts"]),
               c("new", status="planned", responsibilities=["ui"], replaces=["old"])])
    f = codes(pos, "legacy-still-primary")[0]
    assert f.components == ["old"] and f.severity == "critical"
    assert "its successor new is only planned" in f.evidence
    neg = inv([c("old", status="legacy", responsibilities=["ui"]),
               c("new", responsibilities=["ui"])])
    assert codes(neg, "legacy-still-primary") == []  # the active one carries it too


def test_polling_instead_of_events():
    ext = [{"name": "feed", "push": True}, {"name": "rest", "push": False}]
    pos = inv([c("job", triggers=["cron"], calls=["feed"])], ext)
    assert codes(pos, "polling-instead-of-events")[0].components == ["job"]
    assert codes(inv([c("job", triggers=["cron"], calls=["rest"])], ext),
                 "polling-instead-of-events") == []
    assert codes(inv([c("svc", triggers=["event"], calls=["feed"])], ext),
                 "polling-instead-of-events") == []


def test_missing_observability():
    pos = inv([c("a", observability=[]), c("b")])
    f = codes(pos, "missing-observability")[0]
    assert f.components == ["a"] and f.severity == "high"
    assert codes(inv([c("a"), c("db", kind="datastore", observability=[])]),
                 "missing-observability") == []


def test_duplicated_api_access():
    ext = [{"name": "av"}]
    pos = inv([c("a", calls=["av"]), c("b", calls=["av"]),
               c("gw", kind="proxy", calls=["av"], status="planned")], ext)
    f = codes(pos, "duplicated-api-access")[0]
    assert f.components == ["a", "b"] and "gw (planned) exists but is bypassed" in f.evidence
    shared = inv([c("a", calls=["gw"]), c("b", calls=["gw"]), c("gw", kind="proxy", calls=["av"])],
                 ext)
    assert codes(shared, "duplicated-api-access") == []


def test_unshielded_rate_limit():
    ext = [{"name": "av", "rate_limit": "25/day"}]
    assert codes(inv([c("a", calls=["av"])], ext), "unshielded-rate-limit")[0].components == ["a"]
    assert codes(inv([c("a", calls=["av"], cache=True)], ext), "unshielded-rate-limit") == []
    assert codes(inv([c("a", calls=["av"])], [{"name": "av"}]), "unshielded-rate-limit") == []


def test_single_point_of_failure():
    solo = [{"name": "Ann", "roles": ["dev", "ops", "content"]}]
    pos = inv([c("a"), c("b")], people=solo)
    assert codes(pos, "single-point-of-failure")[0].severity == "critical"
    team = inv([c("a"), c("b", owner="Bob")])
    assert codes(team, "single-point-of-failure") == []
    hub = inv([c("db", kind="datastore"), c("a", calls=["db"]), c("b", calls=["db"]),
               c("d", calls=["db"], owner="Bob")])
    assert codes(hub, "single-point-of-failure")[0].title == "every other component depends on db"


@pytest.mark.parametrize(("text", "message"), [
    ("name: x\ncomponents:\n  - name: a\n    kind: [unclosed\n", "line 5"),
    ("- just\n- a list\n", "expected a mapping"),
    ("name: x\ncomponents:\n  - name: a\n    kind: spaceship\n", "components[0].kind"),
    ("name: x\ncomponents:\n  - name: a\n    kind: job\n    colour: red\n",
     "components[0].colour: Extra inputs are not permitted"),
    ("name: x\ncomponents:\n  - name: a\n    kind: job\n    calls: [nowhere]\n",
     "components[0].calls[0]: 'nowhere' is neither a component nor an external"),
    ("name: x\ncomponents: []\n", "components: List should have at least 1 item"),
])
def test_bad_inventories_name_the_field(text, message):
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_inventory(text, "inv.yaml")


def test_victor_stack_review_has_all_eight_codes_and_starts_with_the_plugin():
    from tools.architecture.inventory import load_inventory

    inventory = load_inventory(EXAMPLE)
    findings = analyze(inventory)
    assert {f.code for f in findings} == CODES
    plan = migration_plan(inventory, findings)
    assert plan[0].title.startswith("Collapse the legacy path: retire wp-plugin")
    assert "legacy-still-primary" in plan[0].because
    assert plan[0].steps[0].startswith("Move alerts from wp-plugin to")
    assert [a.step for a in plan] == list(range(1, len(plan) + 1))


def test_cli_formats():
    runner = CliRunner()
    md = runner.invoke(app, ["review", str(EXAMPLE), "--format", "md"])
    assert md.exit_code == 0 and md.stdout.startswith("# Architecture review: victor-stack")
    assert "## Migration plan" in md.stdout
    js = runner.invoke(app, ["review", str(EXAMPLE), "--format", "json"])
    data = json.loads(js.stdout)
    assert {f["code"] for f in data["findings"]} == CODES
    missing = runner.invoke(app, ["review", "nope.yaml"])
    assert missing.exit_code == 1 and "No inventory at nope.yaml" in missing.output


async def test_tool_and_weekly_diff(settings, tmp_path, monkeypatch):
    inventory = tmp_path / "stack.yaml"
    text = EXAMPLE.read_text()
    inventory.write_text(text)
    monkeypatch.setenv("COPILOT_INVENTORY", str(inventory))
    from core.settings import Settings

    async with open_runtime(Settings()) as rt:
        result = await rt.ask("review my architecture")
        assert result.tool_calls[0]["name"] == "review_architecture"
        assert "victor-stack: 13 findings" in result.answer
        assert "1. Collapse the legacy path" in result.answer
        first = await rt.architecture.reviewer.weekly(rt.architecture.raise_finding)
        assert first and len(first) == len(analyze(__import__(
            "tools.architecture.inventory", fromlist=["x"]).load_inventory(inventory)))
        assert await rt.architecture.reviewer.weekly(rt.architecture.raise_finding) == []  # nothing new
        data = yaml.safe_load(text)
        data["components"].append({"name": "tiktok-bot", "kind": "bot", "tech": ["python"],
                                   "responsibilities": ["content"], "calls": ["alphavantage"],
                                   "owner": "Victor"})
        inventory.write_text(yaml.safe_dump(data))
        new = await rt.architecture.reviewer.weekly(rt.architecture.raise_finding)
        assert new and all("tiktok-bot" in f.components for f in new)
        pending = [d for d in rt.decisions.pending() if d.kind == "architecture_finding"]
        assert len(pending) == len(first) + len(new)
        assert [o.id for o in pending[0].options] == ["plan", "accept", "dismiss"]
