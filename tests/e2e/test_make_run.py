"""`make run` stops everything it started whatever signals arrive, and starts nothing when a
port it needs is taken. It runs on its fixed ports: these tests need them free."""

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from dev import ports
from dev.launcher import wanted_ports
from shared.config import Settings
from tests.support.brokers import KAFKA_LIBS, REPO

PROC = Path("/proc")
# What `make run` uses below, where no PINTU_* or KAFKA_* variable is set (_environment).
DEFAULTS = Settings.model_construct()


def _environment(home: Path) -> dict[str, str]:
    data = home / "data"
    data.mkdir()
    (data / "kafka-libs").symlink_to(KAFKA_LIBS)  # resolved once per machine
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PINTU_", "KAFKA_"))}
    return {**env, "PINTU_DATA_DIR": str(data)}


def _ports() -> dict[int, ports.Wanted]:
    return wanted_ports(DEFAULTS)


def _assert_ports_free() -> None:
    busy = [str(taken) for taken in ports.taken(_ports())]
    assert not busy, f"these tests need make run's ports free: {busy}"


def _alive(pid: int) -> bool:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie holds nothing


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _marked(marker: bytes) -> set[int]:
    """The live processes whose environment holds `marker`: every process `make run` starts
    inherits this test's PINTU_DATA_DIR, wherever it was re-parented."""
    found = set()
    for entry in PROC.iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with suppress(OSError):
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.add(int(entry.name))
    return {pid for pid in found if _alive(pid)}


@contextmanager
def make_run(home: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, bytes]]:
    """`make run` in a session of its own, as a supervisor starts it; every process it
    started is SIGKILLed at the end if still alive, whatever the test found."""
    log = home / "make-run.log"
    env = _environment(home)
    marker = f"PINTU_DATA_DIR={env['PINTU_DATA_DIR']}".encode()
    with log.open("wb") as out:
        make = subprocess.Popen(
            ["make", "run"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield make, log, marker
    finally:
        for pid in {make.pid, *_descendants(make.pid), *_marked(marker)}:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        make.wait()


def _wait_ready(make: subprocess.Popen[bytes], log: Path, url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert make.poll() is None, f"make run exited:\n{log.read_text()[-3000:]}"
        with suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise AssertionError(f"{url} not ready after {timeout}s:\n{log.read_text()[-3000:]}")


def test_two_sigterms_to_the_process_group_stop_every_process_and_free_every_port(
    tmp_path: Path,
) -> None:
    _assert_ports_free()
    settings = DEFAULTS
    with make_run(tmp_path) as (make, log, marker):
        _wait_ready(make, log, f"http://127.0.0.1:{settings.intake_port}/readyz", 180)
        _wait_ready(make, log, f"http://127.0.0.1:{settings.projections_port}/readyz", 60)
        started = _descendants(make.pid)
        platform = _marked(marker) - {make.pid}
        assert len(platform) == 9, platform  # the launcher, Kafka, five services, two receivers
        assert platform <= started

        os.killpg(make.pid, signal.SIGTERM)  # what `timeout` or a CI runner sends
        time.sleep(0.1)
        with suppress(ProcessLookupError):
            os.killpg(make.pid, signal.SIGTERM)  # and make passes one on too

        make.wait(timeout=120)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _marked(marker):
            time.sleep(0.5)
        output = log.read_text()
        left = sorted(_marked(marker) | {pid for pid in started if _alive(pid)})
        assert not left, f"still running: {left}\n{output[-3000:]}"
        busy = [str(taken) for taken in ports.taken(_ports())]
        assert not busy, f"{busy}\n{output[-3000:]}"
        assert "stopped; nothing left running" in output


def test_a_taken_port_stops_make_run_at_once_naming_the_port_and_its_holder(
    tmp_path: Path,
) -> None:
    _assert_ports_free()
    port = DEFAULTS.notifier_port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with make_run(tmp_path) as (make, log, _):
            code = make.wait(timeout=60)
            output = log.read_text()
    assert code != 0, output
    assert f"port {port} (for notifier) is already in use by pid {os.getpid()}" in output
    assert "stop it, or set PINTU_NOTIFIER_PORT" in output
    assert "starting Kafka" not in output, output
    _assert_ports_free()
