"""A real HTTP server standing in for an agency's webhook endpoint."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from dev.broker import free_port


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Status codes to answer with before answering 200 (to test retries).
    failures_to_serve: list[int] = field(default_factory=list)

    def wait_for(self, predicate: Callable[[Received], bool], timeout: float = 30) -> Received:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for request in list(self.requests):
                if predicate(request):
                    return request
            time.sleep(0.1)
        raise AssertionError(f"no matching webhook within {timeout}s; got {len(self.requests)}")


@contextmanager
def webhook_receiver(port: int = 0) -> Iterator[WebhookReceiver]:
    """`port`: a given one (an endpoint coming back where it was), else a free one."""
    receiver: WebhookReceiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if receiver.failures_to_serve:
                self.send_response(receiver.failures_to_serve.pop(0))
            else:
                receiver.requests.append(Received(dict(self.headers.items()), body))
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    receiver = WebhookReceiver(f"http://127.0.0.1:{server.server_port}/webhook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class MailReceiver:
    """A real SMTP server (aiosmtpd) standing in for the operator's mail relay."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    def wait_for(
        self, predicate: Callable[[EmailMessage], bool], timeout: float = 30
    ) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for mail in list(self.messages):
                if predicate(mail):
                    return mail
            time.sleep(0.1)
        raise AssertionError(f"no matching e-mail within {timeout}s; got {len(self.messages)}")


@contextmanager
def mail_receiver() -> Iterator[MailReceiver]:
    receiver = MailReceiver(port=free_port())

    class Keep:
        async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
            mail = message_from_bytes(envelope.content, policy=default)
            assert isinstance(mail, EmailMessage)
            receiver.messages.append(mail)
            return "250 OK"

    controller = Controller(Keep(), hostname="127.0.0.1", port=receiver.port)
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()
