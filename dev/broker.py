"""A real Apache Kafka broker for development, tests and demos, started by the project.

Pinned jars come from Maven Central (dev/kafka/pom.xml); one KRaft node (broker
and controller) listens on 127.0.0.1 with replication factor 1. Production uses
a real cluster: set KAFKA_BOOTSTRAP_SERVERS and nothing here runs.
"""

import asyncio
import hashlib
import logging
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

log = logging.getLogger(__name__)

KAFKA_DEV_DIR = Path(__file__).resolve().parent / "kafka"
POM = KAFKA_DEV_DIR / "pom.xml"
LOG4J_CONFIG = KAFKA_DEV_DIR / "log4j2.properties"
DEFAULT_PORT = 9092
DEFAULT_CONTROLLER_PORT = 9093


class BrokerSetupError(Exception):
    """The development broker cannot be set up; the message says what to install or change."""


@dataclass(frozen=True)
class ScramListener:
    """A second listener that signs clients in with SASL/SCRAM-SHA-512 as one user, the way the
    Kubernetes cluster's `plain` listener does (deploy/k8s/base/kafka/kafka.yaml)."""

    port: int
    username: str
    password: str = field(repr=False)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"


def _server_properties(
    data: Path, port: int, controller_port: int, scram: ScramListener | None = None
) -> str:
    listeners = f"PLAINTEXT://127.0.0.1:{port}"
    protocols = "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    sasl = ""
    if scram is not None:
        listeners += f",SASL_PLAINTEXT://127.0.0.1:{scram.port}"
        protocols += ",SASL_PLAINTEXT:SASL_PLAINTEXT"
        sasl = (
            "sasl.enabled.mechanisms=SCRAM-SHA-512\n"
            "listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-512\n"
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required;\n"
        )
    return f"""\
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}
listeners={listeners},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners={listeners}
controller.listener.names=CONTROLLER
listener.security.protocol.map={protocols}
inter.broker.listener.name=PLAINTEXT
{sasl}log.dirs={data}
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=12
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# Topics are provisioned on purpose (shared.adapters.kafka.topics), never by a typo.
auto.create.topics.enable=false
"""


def _require(tool: str, hint: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise BrokerSetupError(f"'{tool}' was not found on PATH. {hint}")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


class LocalBroker:
    """One KRaft node whose jars live in `libs` and whose log lives in `home`.

    With `scram`, it also listens for SASL/SCRAM-SHA-512 clients on `scram.port`, its user
    created when the log is first formatted; the PLAINTEXT listener stays as it is.
    """

    def __init__(
        self,
        home: Path,
        libs: Path,
        port: int = DEFAULT_PORT,
        controller_port: int = DEFAULT_CONTROLLER_PORT,
        scram: ScramListener | None = None,
    ) -> None:
        self.home = home.resolve()
        self.libs = libs.resolve()
        self.port = port
        self.controller_port = controller_port
        self.scram = scram
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def install(self) -> None:
        """Resolve the pinned jars once; re-resolve only when the pom changes."""
        stamp = self.libs / ".pom-sha256"
        wanted = hashlib.sha256(POM.read_bytes()).hexdigest()
        if stamp.exists() and stamp.read_text() == wanted:
            return
        _require("java", "Kafka needs Java 17 or newer: apt-get install openjdk-17-jre-headless")
        mvn = _require("mvn", "Kafka's jars are resolved with Maven: apt-get install maven")
        log.info("resolving the Kafka jars from Maven Central (first run only)")
        if self.libs.exists():
            shutil.rmtree(self.libs)
        result = subprocess.run(
            [
                mvn,
                "-q",
                "-B",
                "-f",
                str(POM),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={self.libs}",
                "-DincludeScope=runtime",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BrokerSetupError(
                f"Maven could not resolve the Kafka jars:\n{result.stdout}{result.stderr}"
            )
        stamp.write_text(wanted)

    def start(self, stdout: int | None = None, new_session: bool = False) -> None:
        """Start the broker; with `new_session`, in a session of its own, so that a signal to
        the caller's process group does not reach it and the caller stops it in its turn."""
        java = _require(
            "java", "Kafka needs Java 17 or newer: apt-get install openjdk-17-jre-headless"
        )
        self.install()
        if port_open(self.port):
            raise BrokerSetupError(
                f"port {self.port} is already in use: stop what listens there, "
                "or set KAFKA_BOOTSTRAP_SERVERS to use that cluster"
            )
        data = self.home / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.home / "server.properties"
        config.write_text(_server_properties(data, self.port, self.controller_port, self.scram))
        classpath = f"{self.libs}/*"
        if not (data / "meta.properties").exists():
            users = []
            if self.scram is not None:
                user = f"name={self.scram.username},password={self.scram.password}"
                users = ["--add-scram", f"SCRAM-SHA-512=[{user}]"]
            subprocess.run(
                [
                    java,
                    "-cp",
                    classpath,
                    "kafka.tools.StorageTool",
                    "format",
                    "--standalone",
                    "-t",
                    str(uuid.uuid4()),
                    "-c",
                    str(config),
                    *users,
                ],
                check=True,
                capture_output=True,
            )
        self.process = subprocess.Popen(
            [
                java,
                "-Xms256m",
                "-Xmx768m",
                "-XX:+UseG1GC",
                f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
                f"-Dkafka.logs.dir={self.home}",
                "-cp",
                classpath,
                "kafka.Kafka",
                str(config),
            ],
            stdout=stdout,
            stderr=subprocess.STDOUT if stdout is not None else None,
            start_new_session=new_session,
        )

    def wait_ready(
        self, timeout: float = 60.0, stopping: Callable[[], bool] = lambda: False
    ) -> None:
        """Wait until the broker answers, or `stopping()` says to give up; fail with the tail
        of its log if it died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not stopping():
            if self.process is not None and self.process.poll() is not None:
                raise BrokerSetupError(f"Kafka exited early; see {self.home / 'server.log'}")
            if port_open(self.port) and _answers_metadata(self.bootstrap_servers):
                return
            time.sleep(0.3)
        if stopping():
            return
        raise BrokerSetupError(
            f"Kafka was not ready after {timeout:.0f}s; see {self.home / 'server.log'}"
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _answers_metadata(bootstrap_servers: str) -> bool:
    async def probe() -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=3000)
        try:
            await admin.start()
            await admin.describe_cluster()
            # Consumer groups work only once __consumer_offsets exists; services started
            # earlier would log a burst of GroupCoordinatorNotAvailable errors.
            await admin.find_coordinator("pintu-readiness")
            return True
        except Exception:
            return False
        finally:
            await admin.close()

    # In a thread of its own, so callers inside an event loop (tests) can wait too.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, probe()).result()
