"""The operator's verbs that need no broker."""

from pathlib import Path

import pytest

from services import cli
from shared.adapters.sql.database import open_database
from shared.config import Settings, get_settings
from shared.projections.inbox import InboxStore, position


def test_rebuild_read_models_asks_for_yes_then_empties_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PINTU_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    store = InboxStore(open_database(Settings().database))
    store.insert_tracking(position("complaints.events", 0, 41))
    try:
        assert cli.main(["rebuild-read-models"]) == 2
        assert "--yes" in capsys.readouterr().err
        assert store.resume_offset("complaints.events", 0) == 42  # nothing changed
        assert cli.main(["rebuild-read-models", "--yes"]) == 0
        assert store.resume_offset("complaints.events", 0) is None
    finally:
        get_settings.cache_clear()


def test_replay_refuses_half_an_as_of_and_a_target_that_holds_a_read_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PINTU_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert cli.main(["replay", "--as-of", "2026-03-03"]) == 2
        assert "--as-of and --agency go together" in capsys.readouterr().err
        target = f"sqlite:///{tmp_path / 'used.sqlite3'}"
        InboxStore(open_database(target)).insert_tracking(position("complaints.events", 0, 0))
        assert cli.main(["replay", "--into", target]) == 2
        assert "already holds a read model" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
