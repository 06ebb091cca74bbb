"""One settings object for every process, read from the environment."""

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PINTU_", extra="ignore")

    # Unset means "development": the project starts its own broker on DEFAULT_BOOTSTRAP.
    kafka_bootstrap_servers: str | None = Field(
        default=None,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "PINTU_KAFKA_BOOTSTRAP_SERVERS"),
    )
    # The platform database (shared/database.py); unset means an SQLite file in data_dir.
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

    # Where agencies without their own endpoint get their webhooks (the demo receiver in dev).
    webhook_url: str = "http://127.0.0.1:8090/webhook"
    webhook_secret: SecretStr = SecretStr("dev-webhook-secret")
    public_base_url: str = "http://127.0.0.1:8000"

    publish_timeout_seconds: float = 5.0
    max_body_bytes: int = 64 * 1024
    rate_limit_per_minute: int = 60  # filings per client address per intake process
    # Open311 GeoReport v2 api_key values allowed to POST; the default is for development only.
    open311_api_keys: list[str] = ["pintu-dev-open311-key"]
    retry_after_seconds: int = 5
    # Replication of internal topics; 1 on a single development broker, 3 in production.
    topic_replication: int = 1

    @property
    def bootstrap_servers(self) -> str:
        return self.kafka_bootstrap_servers or DEFAULT_BOOTSTRAP

    @property
    def database(self) -> str:
        """Reporter keys, idempotency keys, tracking ids (which the log cannot rebuild: back
        them up) and the read models (which it can)."""
        return self.database_url or f"sqlite:///{self.data_dir / 'pintu.sqlite3'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
