"""Tracking ids (nomor tiket) a citizen can read aloud or type from a receipt."""

import secrets

# No 0/O, 1/I/L, U: nothing a citizen can confuse on a phone screen or over SMS.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10


def new_tracking_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def is_tracking_id(text: str) -> bool:
    return len(text) == LENGTH and all(c in ALPHABET for c in text)
