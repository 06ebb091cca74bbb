from shared.contracts.webhooks import signature, verify

SECRET = "agency-secret"
BODY = b'{"kind":"complaint.routed"}'


def test_a_signed_body_verifies() -> None:
    header = signature(SECRET, 1_795_000_000, BODY)
    assert verify(SECRET, "1795000000", BODY, header, now=1_795_000_010)


def test_a_changed_body_a_wrong_secret_or_a_stale_timestamp_does_not_verify() -> None:
    header = signature(SECRET, 1_795_000_000, BODY)
    assert not verify(SECRET, "1795000000", BODY + b" ", header, now=1_795_000_010)
    assert not verify("other", "1795000000", BODY, header, now=1_795_000_010)
    assert not verify(SECRET, "1795000000", BODY, header, now=1_795_000_000 + 301)
    assert not verify(SECRET, "1795000001", BODY, header, now=1_795_000_010)
    assert not verify(SECRET, "soon", BODY, header, now=1_795_000_010)
