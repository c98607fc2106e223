from __future__ import annotations

from pathlib import Path

from core.settings import Settings, default_data_dir


def test_defaults_need_no_keys(monkeypatch, tmp_path):
    monkeypatch.delenv("COPILOT_DATA_DIR")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    s = Settings()
    assert s.effective_llm == "offline"
    assert s.data_dir == tmp_path / "xdg" / "victor-copilot" == default_data_dir()
    assert s.db_url.startswith("sqlite:///")


def test_data_dir_override(tmp_path):
    assert Settings().data_dir == Path(tmp_path / "data")


def test_env_lists_and_openai_switch(monkeypatch):
    monkeypatch.setenv("OWNER_IDS", "123, 456")
    monkeypatch.setenv("COPILOT_WATCHLIST", "aapl,brk.b")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value-1234")
    s = Settings()
    assert s.owner_ids == [123, 456]
    assert s.watchlist_default == ["AAPL", "BRK.B"]
    assert s.effective_llm == "openai"


def test_dotenv_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("COPILOT_LLM_MODEL=gpt-test\n")
    assert Settings().llm_model == "gpt-test"


def test_masked_hides_secrets(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value-1234")
    monkeypatch.setenv("DATABASE_URL", "postgresql://victor:hunter2@db:5432/copilot")
    masked = Settings().masked()
    text = repr(masked)
    assert "sk-secret" not in text and "1234" not in text and "hunter2" not in text
    assert masked["OPENAI_API_KEY"] == "****"
    assert masked["DATABASE_URL"] == "postgresql://****@db:5432/copilot"
