"""`pintu`: one command, one subcommand per process, plus the developer verbs."""

import argparse
import asyncio
import sys

from shared.config import Settings, get_settings
from shared.logs import configure, logging_config


def _intake(settings: Settings) -> int:
    import uvicorn

    from services.intake.app import create_app

    uvicorn.run(
        create_app(settings),
        host=settings.bind_host,
        port=settings.intake_port,
        log_config=logging_config("intake", settings.log_level),
    )
    return 0


def _http_worker(name: str, port: int, settings: Settings) -> int:
    import uvicorn

    if name == "notifier":
        from services.notifier.app import create_app as notifier_app

        app = notifier_app(settings)
    else:
        from services.projections.app import create_app as projections_app

        app = projections_app(settings)
    uvicorn.run(
        app, host=settings.bind_host, port=port, log_config=logging_config(name, settings.log_level)
    )
    return 0


def _stream_worker(name: str, settings: Settings) -> int:
    from shared.kafka.streams import run_worker

    if name == "router":
        from services.router.app import create_app as router_app

        app = router_app(settings)
    else:
        from services.sla.app import create_app as sla_app

        app = sla_app(settings)
    run_worker(app, name, settings)
    return 0


def _webhook_receiver(settings: Settings) -> int:
    import uvicorn
    from yarl import URL

    from services.webhook_receiver import create_app

    url = URL(settings.webhook_url)
    uvicorn.run(
        create_app(settings.webhook_secret.get_secret_value()),
        host=url.host or "127.0.0.1",
        port=url.port or 8090,
        log_config=logging_config("webhook-receiver", settings.log_level),
    )
    return 0


def _topics(settings: Settings) -> int:
    from shared.domain.routing import default_directory
    from shared.kafka.topics import provision

    configure("topics", settings.log_level)
    created = asyncio.run(
        provision(
            settings.bootstrap_servers, default_directory().agencies, settings.topic_replication
        )
    )
    print(f"{len(created)} topics created: {', '.join(created) or 'all existed'}")
    return 0


def _kafka(settings: Settings) -> int:
    from shared.kafka.local_broker import LocalBroker

    broker = LocalBroker(home=settings.data_dir / "kafka", libs=settings.data_dir / "kafka-libs")
    broker.start()
    try:
        broker.wait_ready()
        print(f"Kafka ready on {broker.bootstrap_servers}; Ctrl-C stops it", flush=True)
        assert broker.process is not None
        broker.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        broker.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pintu", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, help_ in [
        ("run", "start Kafka (unless KAFKA_BOOTSTRAP_SERVERS is set) and every service"),
        ("intake", "the HTTP front door (FastAPI)"),
        ("router", "the no-wrong-door router (faust)"),
        ("sla", "deadlines and escalation (faust)"),
        ("notifier", "webhooks to agencies"),
        ("projections", "read models from the event log"),
        ("webhook-receiver", "a demo agency endpoint that verifies signatures"),
        ("topics", "create the missing topics (idempotent)"),
        ("kafka", "run only the development Kafka broker"),
        ("demo", "file sample complaints and show where each went"),
    ]:
        commands.add_parser(name, help=help_)
    command = parser.parse_args(argv).command
    settings = get_settings()

    from shared.kafka.local_broker import BrokerSetupError

    try:
        if command == "run":
            from services.launcher import run

            return run(settings)
        if command == "intake":
            return _intake(settings)
        if command in ("router", "sla"):
            return _stream_worker(command, settings)
        if command == "notifier":
            return _http_worker(command, settings.notifier_port, settings)
        if command == "projections":
            return _http_worker(command, settings.projections_port, settings)
        if command == "webhook-receiver":
            return _webhook_receiver(settings)
        if command == "topics":
            return _topics(settings)
        if command == "kafka":
            return _kafka(settings)
        from services.demo import run as demo

        return demo(f"http://{settings.bind_host}:{settings.intake_port}")
    except BrokerSetupError as error:
        print(f"pintu: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
