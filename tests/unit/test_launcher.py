import asyncio

import httpx

from dev.launcher import dev_sms_gateway, readable
from dev.webhook_receiver import create_app
from shared.config import Settings


def test_json_log_lines_become_one_readable_line_with_the_complaint_id() -> None:
    line = (
        '{"time": "2026-11-22 11:17:06,012", "level": "INFO", "service": "router", '
        '"logger": "services.router.app", "message": "complaint routed", '
        '"complaint_id": "6379", "agency_id": "pemkab-oku-timur"}'
    )
    shown = readable("router", line)
    assert shown.startswith("router")
    assert "11:17:06 INFO    complaint routed complaint_id=6379 agency_id=pemkab-oku-timur" in shown
    assert "services.router.app" not in shown


def test_other_lines_pass_through() -> None:
    assert readable("kafka", "[kafka] started").endswith("[kafka] started")


def test_make_run_sends_texts_to_the_development_gateway_which_logs_them() -> None:
    url = dev_sms_gateway(Settings())
    assert url == "http://127.0.0.1:8090/sms"
    app = create_app("secret")

    async def send(body: dict[str, str]) -> httpx.Response:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://dev") as client:
            return await client.post("/sms", json=body)

    sent = asyncio.run(
        send({"to": "+6281234567890", "text": "Laporan diterima", "reference": "r1"})
    )
    assert sent.status_code == 200 and sent.json()["reference"] == "r1"
    assert asyncio.run(send({"to": "+62812"})).status_code == 422  # no text: refused
    assert len(app.state.received) == 1


def test_a_taken_port_is_named_with_its_holder_and_a_free_one_is_not() -> None:
    import os
    import signal
    import socket

    from dev.launcher import StopRequest
    from dev.ports import Wanted, taken

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        found = taken({port: Wanted("127.0.0.1", "intake", "set PINTU_INTAKE_PORT")})
        assert [t.port for t in found] == [port]
        assert found[0].holder is not None and found[0].holder.startswith(f"pid {os.getpid()} ")
    assert taken({port: Wanted("127.0.0.1", "intake", "set PINTU_INTAKE_PORT")}) == []

    stop = StopRequest()
    stop(signal.SIGTERM, None)
    stop(signal.SIGINT, None)  # a second signal changes nothing, raises nothing
    assert stop.requested and stop.signal == signal.SIGTERM and stop.received == 2
