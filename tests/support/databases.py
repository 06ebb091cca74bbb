"""Where the tests' PostgreSQL comes from.

1. PINTU_TEST_DATABASE_URL set: that database, nothing started.
2. PINTU_TEST_BROKER=docker and a Docker engine: testcontainers runs postgres.
3. Otherwise: the machine's PostgreSQL binaries (Debian's postgresql package), a
   throwaway cluster in a temporary folder on a free port.
A missing PostgreSQL is an error, never a skip.
"""

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dev.broker import free_port

POSTGRES_IMAGE = "postgres:17"


def postgres_bindir() -> Path:
    candidates = []
    if pg_config := shutil.which("pg_config"):
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidates.append(Path(found.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: install them "
        "(Debian/Ubuntu: apt install postgresql) or set PINTU_TEST_DATABASE_URL"
    )


@contextmanager
def local_postgres() -> Iterator[str]:
    bindir = postgres_bindir()
    # PostgreSQL refuses to run as root; there the cluster belongs to the postgres user.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    home = Path(tempfile.mkdtemp(prefix="pintu-postgres-"))
    if as_user:
        shutil.chown(home, "postgres")
    data, port = home / "data", free_port()
    pg_ctl = [*as_user, str(bindir / "pg_ctl"), "-D", str(data)]
    try:
        initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "pintu", "--auth=trust"]
        subprocess.run(
            [*as_user, *initdb, "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*pg_ctl, "-l", str(home / "postgres.log"), "-o", options, "-w", "-t", "60", "start"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql://pintu@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def docker_postgres() -> Iterator[str]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    port = free_port()
    container = (
        DockerContainer(POSTGRES_IMAGE)
        .with_bind_ports(5432, port)
        .with_env("POSTGRES_USER", "pintu")
        .with_env("POSTGRES_HOST_AUTH_METHOD", "trust")
    )
    with container:
        # The image restarts once after initialising; the second line means ready.
        wait_for_logs(container, r"(?s)ready to accept connections.*ready to accept", timeout=60)
        yield f"postgresql://pintu@127.0.0.1:{port}/pintu"


@contextmanager
def test_postgres() -> Iterator[str]:
    if os.environ.get("PINTU_TEST_DATABASE_URL"):
        yield os.environ["PINTU_TEST_DATABASE_URL"]
    elif os.environ.get("PINTU_TEST_BROKER") == "docker":
        with docker_postgres() as url:
            yield url
    else:
        with local_postgres() as url:
            yield url


def fresh_database(server_url: str) -> str:
    """A new, empty database on the server of `server_url`, for one test's isolation."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"test_{uuid.uuid4().hex[:12]}"
    url = make_url(server_url).set(drivername="postgresql+psycopg")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)
