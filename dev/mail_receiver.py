"""A stand-in mail relay for development: accepts every e-mail and logs its subject."""

import logging
import signal
import threading
from email import message_from_bytes
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)


class LogEachMail:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content, policy=default)
        # Not the address: even a development log keeps reporters' identities out.
        subject = " ".join(str(mail["Subject"]).split())  # unfolded, as a mail client shows it
        log.info("mail received", extra={"subject": subject})
        return "250 OK"


def serve(host: str, port: int) -> None:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's line per SMTP verb
    controller = Controller(LogEachMail(), hostname=host, port=port)
    controller.start()
    log.info("mail receiver on %s:%d", host, port)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()
