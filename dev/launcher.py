"""`make run` (`python -m dev run`): the whole platform in one terminal, with readable interleaved logs.

Starts the development broker (unless KAFKA_BOOTSTRAP_SERVERS names a cluster),
provisions the topics, then every service as a child process. First it checks that every
port it needs is free, and names what holds one that is not. Ctrl-C, SIGTERM or SIGHUP,
once or many times, stops the services, then the broker, and leaves nothing running.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import IO

from yarl import URL

from dev import broker, ports
from services.cli import SERVICES as PLATFORM_SERVICES
from shared.adapters.kafka import topics
from shared.adapters.kafka.clients import KafkaConnection
from shared.config import Settings
from shared.domain.routing import default_directory

REPOSITORY = str(Path(__file__).resolve().parent.parent)
SERVICES = (*PLATFORM_SERVICES, "webhook-receiver", "mail-receiver")
COLOURS = {
    "kafka": 90,
    "intake": 36,
    "router": 35,
    "sla": 33,
    "notifier": 32,
    "projections": 34,
    "webhook-receiver": 37,
    "mail-receiver": 37,
    "pintu": 1,
}
_print_lock = threading.Lock()


def readable(service: str, line: str) -> str:
    """One JSON log line as `time service level message key=value...`; other lines as they are."""
    colour = COLOURS.get(service, 0) if sys.stdout.isatty() else None
    label = f"\033[{colour}m{service:<16}\033[0m" if colour is not None else f"{service:<16}"
    try:
        entry = json.loads(line)
    except ValueError:
        return f"{label} {line}"
    if not isinstance(entry, dict):
        return f"{label} {line}"
    time_ = str(entry.pop("time", ""))[11:19]
    level = entry.pop("level", "")
    message = entry.pop("message", "")
    for noise in ("service", "logger", "taskName", "color_message"):
        entry.pop(noise, None)
    extras = " ".join(f"{k}={v}" for k, v in entry.items() if v is not None)
    return f"{label} {time_} {level:<7} {message} {extras}".rstrip()


def say(message: str) -> None:
    with _print_lock, suppress(OSError, ValueError):  # no terminal left: stop all the same
        print(readable("pintu", message), flush=True)


def _pump(service: str, stream: IO[bytes]) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip()
        if line:
            # With no terminal left, keep reading all the same: a child whose pipe is full
            # would block on its next line and never stop.
            with _print_lock, suppress(OSError, ValueError):
                print(readable(service, line), flush=True)


def _spawn(service: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    # The platform's services come from the installed `pintu`; the receivers from this package.
    program = "services.cli" if service in PLATFORM_SERVICES else "dev"
    process = subprocess.Popen(
        [sys.executable, "-m", program, service],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        # A signal to our process group (Ctrl-C, a supervisor's SIGTERM) reaches us alone;
        # we stop the children in order.
        start_new_session=True,
    )
    assert process.stdout is not None
    threading.Thread(target=_pump, args=(service, process.stdout), daemon=True).start()
    return process


def _stop(processes: Iterable[subprocess.Popen[bytes]]) -> None:
    alive = [p for p in processes if p.poll() is None]
    for p in alive:
        p.send_signal(signal.SIGTERM)
    for p in alive:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


class StopRequest:
    """The signal handler for SIGINT, SIGTERM and SIGHUP: the first asks the platform to stop,
    later ones change nothing.

    It only records: it raises nothing, takes no lock and prints nothing, so a signal arriving
    anywhere (in the middle of starting a child, of the shutdown, twice within milliseconds,
    as when a supervisor signals the process group of `make run` and make passes it on) cuts
    nothing short and leaves nothing running.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.signal: int | None = None
        self.received = 0

    def __call__(self, signum: int, frame: object) -> None:
        self.received += 1
        if self.signal is None:
            self.signal = signum

    @property
    def requested(self) -> bool:
        return self.signal is not None


def wanted_ports(settings: Settings) -> dict[int, ports.Wanted]:
    """The ports `make run` listens on."""
    webhook = URL(settings.webhook_url)
    host = settings.bind_host
    wanted = {
        settings.intake_port: ports.Wanted(host, "intake", "set PINTU_INTAKE_PORT"),
        settings.router_port: ports.Wanted(host, "router", "set PINTU_ROUTER_PORT"),
        settings.sla_port: ports.Wanted(host, "sla", "set PINTU_SLA_PORT"),
        settings.notifier_port: ports.Wanted(host, "notifier", "set PINTU_NOTIFIER_PORT"),
        settings.projections_port: ports.Wanted(host, "projections", "set PINTU_PROJECTIONS_PORT"),
        webhook.port or 80: ports.Wanted(
            webhook.host or "127.0.0.1", "the webhook receiver", "set PINTU_WEBHOOK_URL"
        ),
        settings.smtp_port: ports.Wanted(
            settings.smtp_host, "the mail receiver", "set PINTU_SMTP_PORT"
        ),
    }
    if settings.kafka_bootstrap_servers is None:
        cluster = "set KAFKA_BOOTSTRAP_SERVERS to use a running cluster instead"
        wanted[broker.DEFAULT_PORT] = ports.Wanted("127.0.0.1", "Kafka", cluster)
        wanted[broker.DEFAULT_CONTROLLER_PORT] = ports.Wanted(
            "127.0.0.1", "Kafka's controller", cluster
        )
    return wanted


def dev_sms_gateway(settings: Settings) -> str:
    """The development SMS gateway: `/sms` on the demo agency endpoint's host and port."""
    return str(URL(settings.webhook_url).with_path("/sms"))


def run(settings: Settings) -> int:
    """Start everything, wait for a signal (or a child's exit), stop everything.

    Every signal handler in force while this runs only records (StopRequest); startup checks
    the request between steps, and the shutdown in `finally` always runs to its end.
    """
    stop = StopRequest()
    previous = {signum: signal.signal(signum, stop) for signum in StopRequest.SIGNALS}
    try:
        return _run(settings, stop)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run(settings: Settings, stop: StopRequest) -> int:
    busy = ports.taken(wanted_ports(settings))
    if busy:
        for port in busy:
            say(str(port))
        say("nothing started")
        return 2
    local: broker.LocalBroker | None = None
    children: list[subprocess.Popen[bytes]] = []
    try:
        if settings.kafka_bootstrap_servers is None:
            local = broker.LocalBroker(
                home=settings.data_dir / "kafka", libs=settings.data_dir / "kafka-libs"
            )
            say(f"starting Kafka on {local.bootstrap_servers} (data in {local.home})")
            local.start(stdout=subprocess.PIPE, new_session=True)
            assert local.process is not None and local.process.stdout is not None
            threading.Thread(
                target=_pump, args=("kafka", local.process.stdout), daemon=True
            ).start()
            local.wait_ready(stopping=lambda: stop.requested)
        else:
            say(f"using the Kafka cluster at {settings.kafka_bootstrap_servers}")
        if stop.requested:
            return _stopping()
        created = asyncio.run(
            topics.provision(
                KafkaConnection.from_settings(settings),
                default_directory().agencies,
                settings.topic_replication,
            )
        )
        say(f"topics ready ({len(created)} created)")
        env = {
            # Texts go to the development gateway beside the demo agency endpoint, unless
            # the operator names a real one.
            "PINTU_SMS_GATEWAY_URL": dev_sms_gateway(settings),
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
            # The receivers run from this checkout, which is never installed.
            "PYTHONPATH": os.pathsep.join(
                [REPOSITORY, *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
        }
        for service in SERVICES:
            if stop.requested:
                return _stopping()
            children.append(_spawn(service, env))
        say(
            f"portal on http://{settings.bind_host}:{settings.intake_port}/ (file, track, "
            "statistics); officers at /petugas; API at /v1 (OpenAPI at /docs); "
            "Ctrl-C stops everything"
        )
        while not stop.requested:
            for service, child in zip(SERVICES, children, strict=True):
                if child.poll() is not None:
                    say(f"{service} exited with code {child.returncode}; stopping the platform")
                    return 1
            time.sleep(0.3)
        return _stopping()
    finally:
        _stop(children)
        if local is not None:
            local.stop()
        say("stopped; nothing left running")


def _stopping() -> int:
    say("stopping")
    return 0
