"""Which of the ports `make run` needs are taken, and by what.

Checked before anything starts: a service that cannot bind its port exits with its cause
buried in the log, and the platform stops with it. The holder is named from /proc (Linux);
elsewhere, or for another user's process, only the port is.
"""

import socket
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_LISTEN = "0A"  # the state column of /proc/net/tcp: TCP_LISTEN


@dataclass(frozen=True)
class Wanted:
    """A port `make run` listens on: on which host, for what, and how to move it."""

    host: str
    what: str
    remedy: str


@dataclass(frozen=True)
class Taken:
    """A port some other process holds: `holder` is its pid and command, when discoverable."""

    port: int
    wanted: Wanted
    holder: str | None

    def __str__(self) -> str:
        held = f" by {self.holder}" if self.holder else ""
        return (
            f"port {self.port} (for {self.wanted.what}) is already in use{held}: "
            f"stop it, or {self.wanted.remedy}"
        )


def is_free(host: str, port: int) -> bool:
    """Whether a server could listen on host:port now (with SO_REUSEADDR, as uvicorn and
    Kafka do, so a connection of a stopped process in TIME_WAIT does not count)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != _LISTEN:
                continue
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def holder(port: int) -> str | None:
    """`pid 1234 (python -m services.cli sla)` for the process listening on `port`, if /proc
    tells; None otherwise."""
    inodes = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not inodes:
        return None
    for process in PROC.iterdir():
        if not process.name.isdigit():
            continue
        try:
            descriptors = list((process / "fd").iterdir())
        except OSError:
            continue  # gone, or another user's
        for descriptor in descriptors:
            try:
                target = descriptor.readlink()
            except OSError:
                continue
            if str(target) in inodes:
                return f"pid {process.name} ({_command(process)})"
    return None


def _command(process: Path) -> str:
    try:
        arguments = (process / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [
        Path(a.decode(errors="replace")).name if i == 0 else a.decode(errors="replace")
        for i, a in enumerate(arguments)
        if a
    ]
    command = " ".join(words)
    return command if len(command) <= 120 else command[:117] + "..."


def taken(wanted: dict[int, Wanted]) -> list[Taken]:
    """Of the `wanted` ports, those in use, with their holders."""
    return [
        Taken(port, want, holder(port))
        for port, want in sorted(wanted.items())
        if not is_free(want.host, port)
    ]
