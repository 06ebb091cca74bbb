"""Tracking ids (nomor tiket) a citizen can read aloud, type from a receipt or send by SMS.

Nine random characters and a Luhn mod 30 check character: a mistyped character
is recognised as such instead of silently naming someone else's complaint.
"""

import secrets

# No 0/O, 1/I/L, U: nothing a citizen can confuse on a phone screen or over SMS.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10


def _luhn_sum(text: str, double_last: bool) -> int:
    # Luhn mod N over the alphabet: every single mistyped character changes the sum.
    n, total, double = len(ALPHABET), 0, double_last
    for char in reversed(text):
        value = ALPHABET.index(char) * (2 if double else 1)
        total += value // n + value % n
        double = not double
    return total


def _check_character(body: str) -> str:
    n = len(ALPHABET)
    return ALPHABET[(n - _luhn_sum(body, double_last=True) % n) % n]


def new_tracking_id() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH - 1))
    return body + _check_character(body)


def is_tracking_id(text: str) -> bool:
    return (
        len(text) == LENGTH
        and all(c in ALPHABET for c in text)
        and _luhn_sum(text, double_last=False) % len(ALPHABET) == 0
    )
