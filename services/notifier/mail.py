"""One try of an e-mail over SMTP (STARTTLS and login where the relay wants them)."""

import hashlib
from email.message import EmailMessage

import aiosmtplib

from services.notifier.result import SENT, Result, refused, retry
from shared.config import Settings


def message_id(event_id: str, recipient: str, channel: str = "email") -> str:
    """The same for every try of one delivery, so a mail client shows a repeat (after a crash
    between the relay's answer and the outbox's record) as the same message."""
    token = hashlib.sha256(f"{event_id}/{recipient}/{channel}".encode()).hexdigest()[:32]
    return f"<{event_id}.{token}@pintu.notifier>"


async def send_mail(settings: Settings, to: str, subject: str, body: str, msg_id: str) -> Result:
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = to
    mail["Subject"] = subject
    mail["Message-ID"] = msg_id
    mail.set_content(body)
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    try:
        await aiosmtplib.send(
            mail,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            start_tls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=password,
            timeout=settings.delivery.timeout_seconds,
        )
    except aiosmtplib.SMTPRecipientsRefused as error:
        # The relay will never take this address (5xx); 4xx answers are worth a retry.
        codes = [r.code for r in error.recipients]
        if codes and all(code >= 500 for code in codes):
            return refused(f"recipient refused ({', '.join(map(str, codes))})")
        return retry(f"recipient deferred ({', '.join(map(str, codes))})")
    except (aiosmtplib.SMTPException, OSError) as error:
        # The address stays out of the reason: dead letters and logs are read by operators.
        return retry(f"{type(error).__name__}: {error}")
    return SENT
