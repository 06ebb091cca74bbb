"""E-mail over SMTP (STARTTLS and login where the relay wants them), with retries."""

from email.message import EmailMessage

import aiosmtplib

from services.notifier.retry import with_retries
from shared.config import Settings


async def send_mail(settings: Settings, to: str, subject: str, body: str, tries: int = 4) -> None:
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(body)
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None

    async def attempt() -> str | None:
        try:
            await aiosmtplib.send(
                mail,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                start_tls=settings.smtp_starttls,
                username=settings.smtp_username,
                password=password,
                timeout=10,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            return f"{type(error).__name__}: {error}"
        return None

    # The address stays out of the logs: `what` names the relay only.
    await with_retries(attempt, f"mail via {settings.smtp_host}:{settings.smtp_port}", tries)
