"""The real platform for end-to-end tests: every service as its own process."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from dev.broker import free_port

HTTP_SERVICES = {
    "intake": "PINTU_INTAKE_PORT",
    "router": "PINTU_ROUTER_PORT",
    "sla": "PINTU_SLA_PORT",
    "notifier": "PINTU_NOTIFIER_PORT",
    "projections": "PINTU_PROJECTIONS_PORT",
}


@dataclass
class Platform:
    env: dict[str, str]
    ports: dict[str, int]
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]]

    @property
    def intake_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['intake']}"

    def kill(self, service: str) -> None:
        """SIGKILL: no shutdown hook runs, as when a node dies."""
        self.processes[service].kill()
        self.processes[service].wait()

    def start(self, service: str) -> None:
        process = spawn(service, self.env, self.logs)
        self.processes[service] = process
        url = f"http://127.0.0.1:{self.ports[service]}/readyz"
        wait_until_ready(url, process, self.logs / f"{service}.log")

    def log_of(self, service: str) -> str:
        return (self.logs / f"{service}.log").read_text(errors="replace")


def wait_until_ready(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 90
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{url} exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} not ready after {timeout}s:\n{log.read_text()[-3000:]}")


def spawn(service: str, env: dict[str, str], logs: Path) -> subprocess.Popen[bytes]:
    log = (logs / f"{service}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", service],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_platform(
    bootstrap: str,
    home: Path,
    webhook_url: str,
    webhook_secret: str,
    settings: dict[str, str] | None = None,
) -> Iterator[Platform]:
    """Every service as its own process; `settings`: more PINTU_* variables for all."""
    ports = {service: free_port() for service in HTTP_SERVICES}
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "PINTU_DATA_DIR": str(home / "data"),
        "PINTU_WEBHOOK_URL": webhook_url,
        "PINTU_WEBHOOK_SECRET": webhook_secret,
        "PINTU_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['intake']}",
        **{variable: str(ports[service]) for service, variable in HTTP_SERVICES.items()},
        **(settings or {}),
    }
    processes = {service: spawn(service, env, logs) for service in HTTP_SERVICES}
    try:
        for service, process in processes.items():
            wait_until_ready(
                f"http://127.0.0.1:{ports[service]}/readyz", process, logs / f"{service}.log"
            )
        yield Platform(env, ports, logs, processes)
    finally:
        for process in processes.values():
            stop(process)
