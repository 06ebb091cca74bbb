"""pintu: the platform's one command. One subcommand per process, plus the operators' verbs.

The developer verbs (run, demo, watch, kafka, the receivers) live in `python -m dev`."""

import argparse
import asyncio
import sys
from collections.abc import Callable

from shared import clock
from shared.adapters.kafka.clients import KafkaConnection, KafkaSignInFailed
from shared.adapters.sql.database import DatabaseSchemaError, open_database
from shared.config import Settings, get_settings
from shared.domain.routing import default_directory
from shared.logs import logging_config
from shared.projections.inbox import InboxStore


def serve(service: str, app: object, host: str, port: int, settings: Settings) -> int:
    import uvicorn

    uvicorn.run(
        app,  # type: ignore[arg-type]
        host=host,
        port=port,
        log_config=logging_config(service, settings.log_level, settings.bootstrap_servers),
        # The client's address is taken from X-Forwarded-For only when the peer is one of
        # these proxies; otherwise it is the peer's own (services/intake/limits.py keys on it).
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
    )
    return 0


def intake(settings: Settings, _: argparse.Namespace) -> int:
    from services.intake.app import create_app

    return serve("intake", create_app(settings), settings.bind_host, settings.intake_port, settings)


def notifier(settings: Settings, _: argparse.Namespace) -> int:
    from services.notifier.app import create_app

    return serve(
        "notifier", create_app(settings), settings.bind_host, settings.notifier_port, settings
    )


def projections(settings: Settings, _: argparse.Namespace) -> int:
    from services.projections.app import create_app

    app = create_app(settings)
    return serve("projections", app, settings.bind_host, settings.projections_port, settings)


def router(settings: Settings, _: argparse.Namespace) -> int:
    from services.router.app import create_app

    return serve("router", create_app(settings), settings.bind_host, settings.router_port, settings)


def sla(settings: Settings, _: argparse.Namespace) -> int:
    from services.sla.app import create_app
    from shared.adapters.kafka.streams import run_worker

    run_worker(create_app(settings), "sla", settings)
    return 0


def topics(settings: Settings, _: argparse.Namespace) -> int:
    from shared.adapters.kafka.topics import provision

    agencies = default_directory().agencies
    created = asyncio.run(
        provision(KafkaConnection.from_settings(settings), agencies, settings.topic_replication)
    )
    print(f"{len(created)} topics created: {', '.join(created) or 'all existed'}")
    return 0


def migrate(settings: Settings, _: argparse.Namespace) -> int:
    """Bring the tables the log cannot rebuild to this release (the Kubernetes Job runs it
    before the rollout; every service does it at start too, so this is never required)."""
    from shared.adapters.sql import migrations

    database = open_database(settings.database)
    where = database.url.render_as_string(hide_password=True)
    done = migrations.upgrade(database)
    if done.ahead:
        print(
            f"{where}: at {done.before}, newer than this Pintu's {migrations.head()}: left as it is"
        )
        return 0
    start = done.before
    if done.adopted:
        start = migrations.BASELINE
        print(f"{where}: tables of the release before migrations adopted as {start}")
    if start != done.after:
        print(f"{where}: migrated from {start or 'an empty database'} to {done.after}")
    elif not done.adopted:
        print(f"{where}: already at {done.after}, nothing to do")
    return 0


Command = Callable[[Settings, argparse.Namespace], int]


def rebuild_read_models(settings: Settings, args: argparse.Namespace) -> int:
    if not args.yes:
        print(
            "This empties the agency inboxes and timelines; `pintu projections` then rebuilds\n"
            "them from the whole event log. Stop the projection worker first, then run:\n"
            "  pintu rebuild-read-models --yes",
            file=sys.stderr,
        )
        return 2
    InboxStore(open_database(settings.database)).rebuild()
    print("read models emptied; start `pintu projections` to replay the log into them")
    return 0


def replay(settings: Settings, args: argparse.Namespace) -> int:
    from services.audit.replay import run as run_replay

    return run_replay(settings, args)


def audit(settings: Settings, args: argparse.Namespace) -> int:
    from services.audit.command import run as run_audit

    return run_audit(settings, args)


def notifier_redeliver(settings: Settings, _: argparse.Namespace) -> int:
    import socket

    from services.notifier.dead_letters import read_dead_letters, redeliver
    from services.notifier.outbox import Outbox

    try:
        dead, other = asyncio.run(read_dead_letters(KafkaConnection.from_settings(settings)))
    except LookupError as error:
        print(f"pintu: {error}", file=sys.stderr)
        return 2
    outbox = Outbox(open_database(settings.database), f"{socket.gethostname()}:redeliver")
    requeued = redeliver(outbox, dead)
    for delivery in requeued:
        print(f"re-queued {delivery.channel} to {delivery.recipient} for event {delivery.event_id}")
    print(
        f"{len(requeued)} dead deliveries re-queued for the running notifier to send; "
        f"{len(dead) - len(requeued)} dead letters already redelivered or sent"
        + (f"; {other} records were not deliveries" if other else "")
    )
    return 0


def invite_national_admin(settings: Settings, args: argparse.Namespace) -> int:
    """The first national admin (or another): an invitation link to set a password and an
    authenticator app in the browser, so no password passes through a shell."""
    from email_validator import EmailNotValidError, validate_email

    from services.intake.accounts import AccountError, Accounts
    from shared.domain.officers import INVITATION_VALID, NATIONAL, Role

    try:
        email = validate_email(args.email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        print(f"pintu: {args.email!r} is not an e-mail address: {error}", file=sys.stderr)
        return 2
    try:
        officer, token = Accounts(open_database(settings.database)).invite(
            email, args.name, Role.NATIONAL_ADMIN, NATIONAL
        )
    except AccountError:
        print(f"pintu: {email} already has an account", file=sys.stderr)
        return 2
    print(
        f"{officer.name} <{officer.email}> is invited as a national admin. Open this link, "
        f"within {INVITATION_VALID.days} days, to choose a password and set up an "
        f"authenticator app (it works once):\n"
        f"  {settings.public_base_url}/petugas/undangan/{token}"
    )
    return 0


COMMANDS: dict[str, tuple[Command, str]] = {
    "intake": (intake, "the HTTP front door (FastAPI)"),
    "router": (router, "the no-wrong-door router"),
    "sla": (sla, "deadlines and escalation (faust)"),
    "notifier": (notifier, "webhooks, e-mail and SMS to agencies, the national admin, reporters"),
    "projections": (projections, "read models from the event log"),
    "topics": (topics, "create the missing topics (idempotent)"),
    "migrate": (migrate, "bring the database's own tables to this release (idempotent)"),
    "rebuild-read-models": (rebuild_read_models, "empty the read models to replay the log"),
    "replay": (replay, "auditors: rebuild the read models into a fresh store, compare, as of"),
    "audit": (audit, "check the log's chain of hashes; export one complaint's history"),
    "invite-national-admin": (
        invite_national_admin,
        "the console's first national admin: prints the link to set up the account",
    ),
    "notifier-redeliver": (
        notifier_redeliver,
        "send the notifier's dead letters (complaints.dlq.notifier) again, once each",
    ),
}
# The long-running processes a deployment starts (the Dockerfile and deploy/k8s use these).
SERVICES = ("intake", "router", "sla", "notifier", "projections")


def _arguments(name: str, subparser: argparse.ArgumentParser) -> None:
    if name == "rebuild-read-models":
        subparser.add_argument("--yes", action="store_true", help="yes, empty them")
    if name == "replay":
        from services.audit.replay import add_arguments

        add_arguments(subparser)
    if name == "invite-national-admin":
        subparser.add_argument("--email", required=True, help="the admin's work address")
        subparser.add_argument("--name", required=True, help="the admin's name, as shown")
    if name == "audit":
        from services.audit.command import arguments

        arguments(subparser)


def dispatch(
    prog: str,
    description: str | None,
    commands: dict[str, tuple[Command, str]],
    arguments: Callable[[str, argparse.ArgumentParser], None],
    argv: list[str] | None,
) -> int:
    """Parse one subcommand, load the settings (and the test clock, if any), run it."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, (_, help_) in commands.items():
        arguments(name, subcommands.add_parser(name, help=help_))
    args = parser.parse_args(argv)
    command, _ = commands[args.command]
    settings = get_settings()
    if settings.clock_file is not None:
        clock.use_clock(clock.file_clock(settings.clock_file))
    try:
        return command(settings, args)
    except (KafkaSignInFailed, DatabaseSchemaError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    return dispatch("pintu", __doc__, COMMANDS, _arguments, argv)


if __name__ == "__main__":
    sys.exit(main())
