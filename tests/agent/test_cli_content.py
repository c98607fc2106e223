"""`copilot content show|edit|rm`, `copilot decisions undo` without a number and
`copilot briefing`: one sentence on every refusal, never a traceback."""

from __future__ import annotations

from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


def test_content_show_edit_and_rm(tmp_path):
    made = run("content", "draft", "please write a post about AAPL breakout", "--symbol",
               "AAPL", "--tone", "bullish")
    assert made.exit_code == 0, made.output
    assert made.stdout.startswith("Draft 1 (discord): AAPL breakout")

    shown = run("content", "show", "1")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("Draft 1 · discord · draft · bullish tone")
    assert "**AAPL breakout: the bull case**" in shown.stdout

    toned = run("content", "edit", "1", "--tone", "bearish", "--title", "Apple, careful")
    assert toned.exit_code == 0, toned.output
    assert toned.stdout.startswith("Draft 1: renamed it “Apple, careful” and rewrote it in a "
                                   "bearish tone.")
    assert "**Apple, careful: the bear case**" in toned.stdout

    body = tmp_path / "body.md"
    body.write_text("Apple: nothing to add today.\n\n_Not financial advice._\n")
    replaced = run("content", "edit", "1", "--body-file", str(body))
    assert replaced.exit_code == 0 and "replaced the text" in replaced.stdout
    piped = run("content", "edit", "1", "--body-file", "-", input="AAPL to $999!\n")
    assert piped.exit_code == 1
    assert "adds numbers the data doesn't support: $999" in piped.output
    assert "Traceback" not in piped.output

    nothing = run("content", "edit", "1")
    assert nothing.exit_code == 2 and "Say what to change" in nothing.output
    missing = run("content", "edit", "1", "--body-file", str(tmp_path / "nope.md"))
    assert missing.exit_code == 2 and "is not a file" in missing.output
    words = run("content", "edit", "1", "-i", "make it rhyme")
    assert words.exit_code == 0 and words.stdout.startswith("I can change its tone")

    assert run("content", "show", "1").stdout.count("nothing to add today") == 1
    gone = run("content", "rm", "1")
    assert gone.exit_code == 0, gone.output
    assert gone.stdout.startswith("Deleted draft 1 (“Apple, careful”, discord).")
    again = run("content", "rm", "1")
    assert again.exit_code == 1 and "There is no draft 1" in again.output


def test_decisions_undo_without_a_number_and_briefing():
    nothing = run("decisions", "undo")
    assert nothing.exit_code == 0, nothing.output
    assert nothing.stdout.strip() == ("There's nothing to undo: no decision of the last 30 "
                                      "minutes can still be undone.")
    bad = run("decisions", "undo", "0")
    assert bad.exit_code == 2  # a usage error, not a crash

    made = run("content", "draft", "AAPL", "--symbol", "AAPL")
    assert made.exit_code == 0, made.output
    brief = run("briefing")
    assert brief.exit_code == 0, brief.output
    lines = brief.stdout.splitlines()
    assert lines[0].startswith("Briefing, ") and "**" not in brief.stdout
    assert "Drafts waiting: 1" in lines and "Pending decisions: none" in lines
    listed = run("decisions", "list")
    assert "No decisions yet." in listed.stdout  # the briefing raised none
