"""`python -m dev`: the developer verbs the Makefile calls (run, demo, watch, kafka, receivers,
wording), and `revision`, which drafts a database migration."""

import argparse
import sys

from dev.broker import BrokerSetupError, LocalBroker
from services.cli import Command, dispatch, serve
from shared.adapters.kafka.clients import KafkaConnection
from shared.config import Settings
from shared.domain.routing import default_directory
from shared.logs import logging_config


def webhook_receiver(settings: Settings, _: argparse.Namespace) -> int:
    from yarl import URL

    from dev.webhook_receiver import create_app

    url = URL(settings.webhook_url)
    app = create_app(settings.webhook_secret.get_secret_value())
    return serve("webhook-receiver", app, url.host or "127.0.0.1", url.port or 8090, settings)


def mail_receiver(settings: Settings, _: argparse.Namespace) -> int:
    import logging.config

    from dev.mail_receiver import serve

    logging.config.dictConfig(logging_config("mail-receiver", settings.log_level))
    serve(settings.smtp_host, settings.smtp_port)
    return 0


def run(settings: Settings, _: argparse.Namespace) -> int:
    from dev.launcher import run as run_platform

    return run_platform(settings)


def kafka(settings: Settings, _: argparse.Namespace) -> int:
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


def demo(settings: Settings, _: argparse.Namespace) -> int:
    from dev.demo import run as run_demo

    return run_demo(f"http://{settings.bind_host}:{settings.intake_port}")


def watch(settings: Settings, args: argparse.Namespace) -> int:
    from dev.watch import run as run_watch

    known = default_directory().agencies
    if args.agency not in known:
        print(
            f"pintu: unknown agency {args.agency!r}; known: {', '.join(sorted(known))}",
            file=sys.stderr,
        )
        return 2
    return run_watch(KafkaConnection.from_settings(settings), args.agency)


def revision(_: Settings, args: argparse.Namespace) -> int:
    from dev.migrations import new_revision

    print(f"draft written to {new_revision(args.message)}: read it, finish it, test it")
    return 0


def wording(settings: Settings, _: argparse.Namespace) -> int:
    from dev.wording import update

    return update()


COMMANDS: dict[str, tuple[Command, str]] = {
    "run": (run, "start Kafka (unless KAFKA_BOOTSTRAP_SERVERS is set) and every service"),
    "kafka": (kafka, "run only the development Kafka broker"),
    "demo": (demo, "file sample complaints into a running platform and show where each went"),
    "watch": (watch, "follow one agency's topic"),
    "webhook-receiver": (webhook_receiver, "a demo agency endpoint that verifies signatures"),
    "mail-receiver": (mail_receiver, "a development mail relay that logs each reporter e-mail"),
    "revision": (revision, "draft the next database migration from the tables' definitions"),
    "wording": (wording, "add the sentences the code writes and the catalogs lack, to translate"),
}


def _arguments(name: str, subparser: argparse.ArgumentParser) -> None:
    if name == "watch":
        subparser.add_argument("agency", help="agency id, e.g. pemkab-oku-timur")
    if name == "revision":
        subparser.add_argument("message", help="what the revision changes, in a few words")


def main(argv: list[str] | None = None) -> int:
    try:
        return dispatch("python -m dev", __doc__, COMMANDS, _arguments, argv)
    except BrokerSetupError as error:
        print(f"pintu: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
