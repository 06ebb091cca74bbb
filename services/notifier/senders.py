"""One try of a delivery on its channel: the address is looked up, or unsealed, only now."""

import asyncio

import httpx

from services.notifier.mail import message_id, send_mail
from services.notifier.outbox import Delivery
from services.notifier.plan import letter_of
from services.notifier.result import Result, refused, retry
from services.notifier.sms import reference, send_sms
from services.notifier.webhook import post
from shared.adapters.sql.reporter_keys import KeyStore, unseal
from shared.config import Settings
from shared.domain.identity import ReporterIdentity, SealedIdentity


class Senders:
    def __init__(self, settings: Settings, client: httpx.AsyncClient, keys: KeyStore) -> None:
        self._settings = settings
        self._client = client
        self._keys = keys

    def secret(self, agency_id: str) -> str:
        own = self._settings.webhook_secrets.get(agency_id)
        return (own or self._settings.webhook_secret).get_secret_value()

    async def send(self, delivery: Delivery) -> Result:
        match delivery.channel:
            case "webhook":
                if delivery.address is None:
                    return refused("no webhook URL")
                return await post(
                    self._client,
                    delivery.address,
                    self.secret(delivery.recipient),
                    delivery.event_id,
                    delivery.payload,
                )
            case "email":
                to = delivery.address
                if to is None:
                    reporter = await self._reporter(delivery)
                    if reporter is None or reporter.email is None:
                        return Result("void", "the reporter was forgotten (key shredded)")
                    to = reporter.email
                subject, body = letter_of(delivery.payload)
                msg_id = message_id(delivery.event_id, delivery.recipient)
                return await send_mail(self._settings, to, subject, body, msg_id)
            case "sms":
                url = self._settings.sms_gateway_url
                if url is None:
                    return retry("PINTU_SMS_GATEWAY_URL is unset")
                reporter = await self._reporter(delivery)
                if reporter is None or reporter.phone is None:
                    return Result("void", "the reporter was forgotten (key shredded)")
                token = self._settings.sms_gateway_token
                return await send_sms(
                    self._client,
                    url,
                    token.get_secret_value() if token else None,
                    reporter.phone,
                    delivery.payload.decode(),
                    reference(delivery.event_id, delivery.recipient),
                )

    async def _reporter(self, delivery: Delivery) -> ReporterIdentity | None:
        if delivery.sealed_to is None:
            return None
        sealed = SealedIdentity.model_validate_json(delivery.sealed_to)
        return await asyncio.to_thread(unseal, sealed, self._keys)
