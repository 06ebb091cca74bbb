"""One settings object for every process, read from the environment."""

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.domain.deadlines import STANDARD_POLICY, DeadlinePolicy

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"

KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KafkaSaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


def _kafka(name: str) -> AliasChoices:
    """Kafka's settings keep the names every Kafka client knows (KAFKA_...)."""
    return AliasChoices(f"KAFKA_{name}", f"PINTU_KAFKA_{name}")


class DeliveryPolicy(BaseModel):
    """Retries with exponential backoff and full jitter, and a circuit breaker per endpoint."""

    model_config = ConfigDict(frozen=True)

    tries: int = Field(default=10, ge=1)  # then the dead-letter topic
    first_backoff_seconds: float = Field(default=2.0, gt=0)
    max_backoff_seconds: float = Field(default=300.0, gt=0)
    timeout_seconds: float = Field(default=10.0, gt=0)  # per try
    # This many failures in a row, by any notifier instance, open an endpoint's circuit: no
    # tries for open_seconds, then one trial (half-open), by one instance, that closes it or
    # opens it again. The breakers are shared through the database (docs/decisions/0011).
    breaker_failures: int = Field(default=5, ge=1)
    breaker_open_seconds: float = Field(default=30.0, gt=0)
    # How long a notifier instance holds a delivery it is trying, or an endpoint's trial
    # (another takes it over after).
    lease_seconds: float = Field(default=60.0, gt=0)


class Settings(BaseSettings):
    # Errors never echo the input: it holds the environment's secrets.
    model_config = SettingsConfigDict(
        env_prefix="PINTU_", extra="ignore", hide_input_in_errors=True, env_nested_delimiter="__"
    )

    # Unset means "development": the project starts its own broker on DEFAULT_BOOTSTRAP.
    kafka_bootstrap_servers: str | None = Field(
        default=None,
        validation_alias=_kafka("BOOTSTRAP_SERVERS"),
    )
    # How every Kafka client signs in (shared/adapters/kafka/clients.py). Unset: PLAINTEXT, no credentials
    # (the development broker). On Kubernetes: SASL_PLAINTEXT + SCRAM-SHA-512 as the process's
    # own KafkaUser. SSL and SASL_SSL verify the brokers against KAFKA_SSL_CAFILE (a PEM file),
    # or the system's trust store when it is unset.
    kafka_security_protocol: KafkaSecurityProtocol = Field(
        default="PLAINTEXT", validation_alias=_kafka("SECURITY_PROTOCOL")
    )
    kafka_sasl_mechanism: KafkaSaslMechanism | None = Field(
        default=None, validation_alias=_kafka("SASL_MECHANISM")
    )
    kafka_sasl_username: str | None = Field(default=None, validation_alias=_kafka("SASL_USERNAME"))
    kafka_sasl_password: SecretStr | None = Field(
        default=None, validation_alias=_kafka("SASL_PASSWORD")
    )
    kafka_ssl_cafile: Path | None = Field(default=None, validation_alias=_kafka("SSL_CAFILE"))
    # The platform database (shared/adapters/sql/database.py); unset means an SQLite file in data_dir.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "PINTU_DATABASE_URL")
    )
    data_dir: Path = Path(".pintu")
    log_level: str = "INFO"

    # 127.0.0.1 for a laptop; containers set 0.0.0.0.
    bind_host: str = "127.0.0.1"
    intake_port: int = 8000
    router_port: int = 8081
    sla_port: int = 8082
    notifier_port: int = 8083
    projections_port: int = 8084

    # Where agencies without their own endpoint (the directory's liaison `webhook_url`) get
    # their webhooks (the demo receiver in dev), and the secret they are signed with.
    webhook_url: str = "http://127.0.0.1:8090/webhook"
    webhook_secret: SecretStr = SecretStr("dev-webhook-secret")
    # Each agency's own signing secret, agency id -> secret (a JSON object, from a Secret);
    # an agency not named here gets webhook_secret.
    webhook_secrets: dict[str, SecretStr] = {}
    public_base_url: str = "http://127.0.0.1:8000"
    # E-mail to reporters and liaison offices. The default is the development mail receiver
    # `make run` starts; production sets its relay, with STARTTLS and a login.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "Pintu SP4N-LAPOR! <noreply@pintu.invalid>"
    # SMS to reporters who gave a phone number and no e-mail address, through an HTTP
    # gateway (docs/contract.md, SMS); unset, no SMS is sent.
    sms_gateway_url: str | None = None
    sms_gateway_token: SecretStr | None = None
    # The national admin's desk (KemenPANRB): e-mailed of the triage queue and of escalations
    # that reach it, besides its webhook; unset, webhook only.
    national_admin_email: str | None = None
    # The deployment's confirmed liaison contacts (a JSON file shaped like
    # shared/data/liaisons.json, e.g. a mounted ConfigMap), over the bundled ones.
    liaisons_file: Path | None = None
    # How the notifier delivers: PINTU_DELIVERY__<field> for each field of DeliveryPolicy.
    delivery: DeliveryPolicy = DeliveryPolicy()

    publish_timeout_seconds: float = 5.0
    max_body_bytes: int = 64 * 1024
    # Files citizens attach (services/intake/uploads.py): the largest one accepted, and where
    # they are kept; unset, under data_dir. Every intake replica must see the same directory.
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    uploads_dir: Path | None = None
    rate_limit_per_minute: int = 60  # filings per client address per intake process
    # The peers whose X-Forwarded-For names the client (comma-separated addresses or networks,
    # uvicorn's forwarded_allow_ips; "*" trusts every peer). The rate limit keys on the
    # client so resolved: behind an ingress, list the ingress's addresses here, or every
    # client shares the ingress's one bucket. 127.0.0.1 is uvicorn's own default.
    trusted_proxies: str = "127.0.0.1"
    # Open311 GeoReport v2 api_key values allowed to POST; the default is for development only.
    open311_api_keys: list[str] = ["pintu-dev-open311-key"]
    # Bearer keys of agency admins, per agency id ("*": any agency, for development only),
    # and of the national admin (KemenPANRB). The defaults are for development only.
    agency_api_keys: dict[str, list[str]] = {"*": ["pintu-dev-agency-key"]}
    admin_api_keys: list[str] = ["pintu-dev-admin-key"]
    retry_after_seconds: int = 5
    # Requests one intake process works on at once; one more is answered 503 with
    # Retry-After at once instead of waiting behind them (services/intake/limits.py).
    max_in_flight: int = Field(default=128, ge=1)
    # Replication of internal topics; 1 on a single development broker, 3 in production.
    topic_replication: int = 1

    # The lifecycle (shared/domain/deadlines.py). Whether the national admin verifies each
    # complaint before it is routed; off, the router routes on filing.
    verification_required: bool = False
    # The deadlines of the handbook's table, per deployment: PINTU_SLA__<field> for each
    # field of DeadlinePolicy, e.g. PINTU_SLA__FIRST_FOLLOW_UP_WORKING_DAYS=5.
    sla: DeadlinePolicy = STANDARD_POLICY
    # How often the SLA service looks for deadlines that fell due.
    sla_check_seconds: float = 5.0
    # How long an action over HTTP waits for the router's verdict before answering 202.
    action_wait_seconds: float = 10.0
    # Simulated time: a file holding an ISO 8601 instant that every process takes as now
    # (tests and drills); unset, the system clock.
    clock_file: Path | None = None

    @field_validator("kafka_security_protocol", "kafka_sasl_mechanism", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _kafka_sign_in_is_complete(self) -> Self:
        """A half-configured sign-in fails at start, naming what is missing, not at first use."""
        sasl = {
            "KAFKA_SASL_MECHANISM": self.kafka_sasl_mechanism,
            "KAFKA_SASL_USERNAME": self.kafka_sasl_username,
            "KAFKA_SASL_PASSWORD": self.kafka_sasl_password,
        }
        protocol = self.kafka_security_protocol
        if protocol.startswith("SASL_"):
            missing = [name for name, value in sasl.items() if not value]
            if missing:
                raise ValueError(f"KAFKA_SECURITY_PROTOCOL={protocol} needs {', '.join(missing)}")
        elif any(sasl.values()):
            given = ", ".join(name for name, value in sasl.items() if value)
            raise ValueError(
                f"{given} set but KAFKA_SECURITY_PROTOCOL={protocol} never sends them: "
                "set KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT (or SASL_SSL)"
            )
        return self

    @property
    def bootstrap_servers(self) -> str:
        return self.kafka_bootstrap_servers or DEFAULT_BOOTSTRAP

    @property
    def database(self) -> str:
        """Reporter keys, idempotency keys, tracking ids (which the log cannot rebuild: back
        them up) and the read models (which it can)."""
        return self.database_url or f"sqlite:///{self.data_dir / 'pintu.sqlite3'}"

    @property
    def uploads_path(self) -> Path:
        """The citizens' uploaded files, which the log cannot rebuild: back them up."""
        return self.uploads_dir or self.data_dir / "uploads"


@lru_cache
def get_settings() -> Settings:
    return Settings()
