"""`make run` (`python -m dev run`): the whole platform in one terminal, with readable interleaved logs.

Starts the development broker (unless KAFKA_BOOTSTRAP_SERVERS names a cluster),
provisions the topics, then every service as a child process. Ctrl-C stops the
services, then the broker, and leaves nothing running.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from yarl import URL

from dev import broker
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
    with _print_lock:
        print(readable("pintu", message), flush=True)


def _pump(service: str, stream: IO[bytes]) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip()
        if line:
            with _print_lock:
                print(readable(service, line), flush=True)


def _spawn(service: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    # The platform's services come from the installed `pintu`; the receivers from this package.
    program = "services.cli" if service in PLATFORM_SERVICES else "dev"
    process = subprocess.Popen(
        [sys.executable, "-m", program, service],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,  # Ctrl-C reaches us alone; we stop children in order
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


def dev_sms_gateway(settings: Settings) -> str:
    """The development SMS gateway: `/sms` on the demo agency endpoint's host and port."""
    return str(URL(settings.webhook_url).with_path("/sms"))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the platform the way Ctrl-C does


def run(settings: Settings) -> int:
    local: broker.LocalBroker | None = None
    children: list[subprocess.Popen[bytes]] = []
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if settings.kafka_bootstrap_servers is None:
            local = broker.LocalBroker(
                home=settings.data_dir / "kafka", libs=settings.data_dir / "kafka-libs"
            )
            say(f"starting Kafka on {local.bootstrap_servers} (data in {local.home})")
            local.start(stdout=subprocess.PIPE)
            assert local.process is not None and local.process.stdout is not None
            threading.Thread(
                target=_pump, args=("kafka", local.process.stdout), daemon=True
            ).start()
            local.wait_ready()
        else:
            say(f"using the Kafka cluster at {settings.kafka_bootstrap_servers}")
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
        children = [_spawn(service, env) for service in SERVICES]
        say(
            f"intake on http://{settings.bind_host}:{settings.intake_port} (OpenAPI at /docs); "
            "Ctrl-C stops everything"
        )
        while True:
            for service, child in zip(SERVICES, children, strict=True):
                if child.poll() is not None:
                    say(f"{service} exited with code {child.returncode}; stopping the platform")
                    return 1
            threading.Event().wait(0.5)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown
        say("stopping")
        return 0
    finally:
        _stop(children)
        if local is not None:
            local.stop()
        say("stopped; nothing left running")
