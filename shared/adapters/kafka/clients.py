"""How every Pintu process reaches Kafka: the one place for its address and its credentials.

Every client the project makes (producers, consumers, the admin client, the readiness
probe, faust's apps through shared.adapters.kafka.streams) takes its connection arguments from
`KafkaConnection.client_kwargs()`, so a cluster that wants SASL/SCRAM or TLS is
configured once, in Settings (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_SSL_CAFILE).

aiokafka reports a refused sign-in only as "Unable to bootstrap", the same words as an
unreachable broker; `start` asks the brokers why and names a refusal as such.

A transaction begun right after the last one committed is refused (CONCURRENT_TRANSACTIONS)
until the broker has written the last one's markers, a millisecond or two (KAFKA-5477);
aiokafka then waits a fixed 20 ms before it asks again. The writers that commit back to back
(intake's group commit, the router's rounds) paid that on nearly every transaction: it was
most of the 34 ms a filing's transaction took. Asked again after TRANSACTION_RETRY_SECONDS,
it takes 14.
"""

import asyncio
import ssl
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aiokafka.conn import collect_hosts, create_conn
from aiokafka.errors import (
    AuthenticationFailedError,
    KafkaConnectionError,
    KafkaError,
    SaslAuthenticationFailed,
    UnsupportedSaslMechanismError,
)
from aiokafka.helpers import create_ssl_context
from aiokafka.producer import sender
from pydantic import SecretStr

from shared.config import Settings

TRANSACTION_RETRY_SECONDS = 0.002
if not hasattr(sender, "BACKOFF_OVERRIDE"):  # an aiokafka that no longer has it: look again
    raise ImportError("aiokafka.producer.sender.BACKOFF_OVERRIDE is gone; see this module's doc")
sender.BACKOFF_OVERRIDE = TRANSACTION_RETRY_SECONDS


class KafkaSignInFailed(KafkaError):  # type: ignore[misc]
    """The brokers refused this process's credentials; retrying will not help until they change."""


@dataclass(frozen=True)
class KafkaConnection:
    bootstrap_servers: str
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = field(default=None, repr=False)
    ssl_cafile: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "KafkaConnection":
        return cls(
            bootstrap_servers=settings.bootstrap_servers,
            security_protocol=settings.kafka_security_protocol,
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_username=settings.kafka_sasl_username,
            sasl_password=settings.kafka_sasl_password,
            ssl_cafile=settings.kafka_ssl_cafile,
        )

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext | None:
        """Verifies the brokers against KAFKA_SSL_CAFILE (else the system's CAs); None without TLS."""
        if not self.uses_tls:
            return None
        context: ssl.SSLContext = create_ssl_context(
            cafile=str(self.ssl_cafile) if self.ssl_cafile else None
        )
        return context

    def auth_kwargs(self) -> dict[str, Any]:
        """aiokafka's security arguments, for any of its clients (and its raw connections)."""
        kwargs: dict[str, Any] = {"security_protocol": self.security_protocol}
        context = self.ssl_context()
        if context is not None:
            kwargs["ssl_context"] = context
        if self.uses_sasl:
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_username
            kwargs["sasl_plain_password"] = (
                self.sasl_password.get_secret_value() if self.sasl_password else None
            )
        return kwargs

    def client_kwargs(self) -> dict[str, Any]:
        """Where and how to connect: spread into AIOKafkaProducer/Consumer/AdminClient/Client."""
        return {"bootstrap_servers": self.bootstrap_servers, **self.auth_kwargs()}

    def describe(self) -> str:
        who = f" as {self.sasl_username!r} ({self.sasl_mechanism})" if self.uses_sasl else ""
        return f"{self.bootstrap_servers} over {self.security_protocol}{who}"


async def refusal(connection: KafkaConnection, timeout_seconds: float = 5.0) -> str | None:
    """Why the brokers refuse this connection's credentials; None when no broker refuses them
    (they accept them, or none answers at all)."""
    if not connection.uses_sasl:
        return None
    for host, port, _ in collect_hosts(connection.bootstrap_servers):
        try:
            conn = await create_conn(
                host,
                port,
                request_timeout_ms=int(timeout_seconds * 1000),
                **connection.auth_kwargs(),
            )
        except (SaslAuthenticationFailed, AuthenticationFailedError) as error:
            return str(error)
        except UnsupportedSaslMechanismError as error:
            return str(error)
        except (OSError, KafkaError, TimeoutError):
            continue
        conn.close()
        return None
    return None


class _Startable(Protocol):
    async def start(self) -> None: ...


async def start(client: _Startable, connection: KafkaConnection) -> None:
    """`client.start()`, raising KafkaSignInFailed (with the broker's reason) on refused credentials."""
    try:
        await client.start()
    except KafkaConnectionError as error:
        reason = await refusal(connection)
        if reason is None:
            raise
        raise KafkaSignInFailed(
            f"Kafka refused to sign in {connection.describe()}: {reason}. "
            "Check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (on Kubernetes: the KafkaUser "
            "and its Secret)."
        ) from error


async def all_of(work: Iterable[Awaitable[None]]) -> None:
    """Run side by side to the end; then raise the first failure, if any (gather alone would
    raise while the others still run, and their owner might stop their producers)."""
    outcomes = await asyncio.gather(*work, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
