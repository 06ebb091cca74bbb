from pathlib import Path

import pytest

from dev.broker import BrokerSetupError, LocalBroker


def test_without_java_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    broker = LocalBroker(home=tmp_path / "kafka", libs=tmp_path / "libs")
    with pytest.raises(BrokerSetupError, match=r"'java' was not found on PATH.*openjdk"):
        broker.start()


def test_without_maven_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    java = bin_dir / "java"
    java.write_text("#!/bin/sh\nexit 0\n")
    java.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    broker = LocalBroker(home=tmp_path / "kafka", libs=tmp_path / "libs")
    with pytest.raises(BrokerSetupError, match=r"'mvn' was not found on PATH.*maven"):
        broker.install()
