from services.launcher import readable


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
