"""Officers' accounts on SQLite and PostgreSQL: invitations, Argon2 passwords, TOTP codes,
lockout, sessions, and who may invite whom."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import Engine

from services.intake.accounts import (
    AccountError,
    Accounts,
    Refusal,
    new_totp_secret,
)
from shared.domain.officers import (
    LOCKOUT,
    MAX_FAILURES,
    NATIONAL,
    SESSION_IDLE,
    Officer,
    Role,
    may_invite,
    may_remove,
    may_see_reporter,
)

PASSWORD = "kopi tubruk di pagi hari"
OKU = "pemkab-oku-timur"


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def database(either_database: Engine) -> Engine:
    return either_database


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(database: Engine, clock: Clock) -> Accounts:
    return Accounts(database, now=clock)


def liaison(accounts: Accounts, email: str = "dewi@okutimurkab.go.id") -> Officer:
    _, token = accounts.invite(email, "Dewi Lestari", Role.LIAISON, OKU)
    return accounts.accept(token, PASSWORD)


def code(secret: str, clock: Clock, steps: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(clock.at) + steps)


def test_an_invited_officer_sets_a_password_and_signs_in(accounts: Accounts) -> None:
    officer = liaison(accounts)
    signed = accounts.sign_in(" Dewi@OKUtimurkab.go.id ", PASSWORD)
    assert signed.refusal is None and signed.officer == officer
    assert signed.session is not None
    assert accounts.session(signed.session) == officer


def test_an_invitation_is_spent_once_and_expires(accounts: Accounts, clock: Clock) -> None:
    _, token = accounts.invite("dewi@okutimurkab.go.id", "Dewi", Role.LIAISON, OKU)
    accounts.accept(token, PASSWORD)
    with pytest.raises(AccountError, match="invitation"):
        accounts.accept(token, PASSWORD)
    _, late = accounts.invite("budi@okutimurkab.go.id", "Budi", Role.LIAISON, OKU)
    clock.at += timedelta(days=4)
    assert accounts.invited(late) is None
    with pytest.raises(AccountError, match="invitation"):
        accounts.accept(late, PASSWORD)


def test_an_address_has_one_account(accounts: Accounts) -> None:
    liaison(accounts)
    with pytest.raises(AccountError, match="taken"):
        accounts.invite("DEWI@okutimurkab.go.id", "Dewi again", Role.AGENCY_ADMIN, OKU)


def test_a_short_password_is_refused(accounts: Accounts) -> None:
    _, token = accounts.invite("dewi@okutimurkab.go.id", "Dewi", Role.LIAISON, OKU)
    with pytest.raises(AccountError, match="password_short"):
        accounts.accept(token, "pendek")
    assert accounts.invited(token) is not None  # still open


def test_a_national_admin_must_have_a_second_factor(accounts: Accounts, clock: Clock) -> None:
    _, token = accounts.invite("admin@menpan.go.id", "Admin", Role.NATIONAL_ADMIN, NATIONAL)
    with pytest.raises(AccountError, match="second_factor"):
        accounts.accept(token, PASSWORD)
    secret = new_totp_secret()
    with pytest.raises(AccountError, match="code"):
        accounts.accept(token, PASSWORD, secret, code(secret, clock, steps=10))  # 5 min off
    admin = accounts.accept(token, PASSWORD, secret, code(secret, clock))
    assert admin.second_factor

    clock.at += timedelta(minutes=1)
    assert accounts.sign_in(admin.email, PASSWORD).refusal is Refusal.CODE_NEEDED
    right = code(secret, clock)
    signed = accounts.sign_in(admin.email, PASSWORD, right)
    assert signed.refusal is None and signed.officer == admin
    assert accounts.sign_in(admin.email, PASSWORD, right).refusal is Refusal.WRONG  # used once


def test_five_wrong_passwords_lock_the_address_even_for_the_right_one(
    accounts: Accounts, clock: Clock
) -> None:
    officer = liaison(accounts)
    for _ in range(MAX_FAILURES - 1):
        assert accounts.sign_in(officer.email, "salah salah salah").refusal is Refusal.WRONG
    assert accounts.sign_in(officer.email, "salah salah salah").refusal is Refusal.LOCKED
    assert accounts.sign_in(officer.email, PASSWORD).refusal is Refusal.LOCKED
    clock.at += LOCKOUT + timedelta(seconds=1)
    assert accounts.sign_in(officer.email, PASSWORD).refusal is None


def test_an_unknown_address_is_refused_and_locked_as_a_known_one_is(accounts: Accounts) -> None:
    liaison(accounts)
    known = [accounts.sign_in("dewi@okutimurkab.go.id", "x").refusal for _ in range(MAX_FAILURES)]
    unknown = [accounts.sign_in("nobody@example.id", "x").refusal for _ in range(MAX_FAILURES)]
    assert known == unknown == [Refusal.WRONG] * (MAX_FAILURES - 1) + [Refusal.LOCKED]


def test_a_right_password_resets_the_count(accounts: Accounts) -> None:
    officer = liaison(accounts)
    for _ in range(MAX_FAILURES - 1):
        accounts.sign_in(officer.email, "salah")
    assert accounts.sign_in(officer.email, PASSWORD).refusal is None
    assert accounts.sign_in(officer.email, "salah").refusal is Refusal.WRONG


def test_an_idle_session_ends(accounts: Accounts, clock: Clock) -> None:
    liaison(accounts)
    session = accounts.sign_in("dewi@okutimurkab.go.id", PASSWORD).session
    assert session is not None
    clock.at += SESSION_IDLE - timedelta(minutes=1)
    assert accounts.session(session) is not None  # a request keeps it alive
    clock.at += SESSION_IDLE - timedelta(minutes=1)
    assert accounts.session(session) is not None
    clock.at += SESSION_IDLE + timedelta(minutes=1)
    assert accounts.session(session) is None


def test_signing_out_everywhere_ends_every_session(accounts: Accounts) -> None:
    officer = liaison(accounts)
    sessions = [accounts.sign_in(officer.email, PASSWORD).session for _ in range(3)]
    other = liaison(accounts, "budi@okutimurkab.go.id")
    theirs = accounts.sign_in(other.email, PASSWORD).session
    assert accounts.sign_out_everywhere(officer.officer_id) == 3
    assert all(accounts.session(s) is None for s in sessions if s)
    assert theirs is not None and accounts.session(theirs) == other


def test_a_removed_officer_cannot_sign_in(accounts: Accounts) -> None:
    officer = liaison(accounts)
    session = accounts.sign_in(officer.email, PASSWORD).session
    assert accounts.remove(officer.officer_id)
    assert session is not None and accounts.session(session) is None
    assert accounts.sign_in(officer.email, PASSWORD).refusal is Refusal.WRONG


def test_sign_ins_and_actions_are_recorded_with_who(accounts: Accounts) -> None:
    officer = liaison(accounts)
    accounts.record(None, "sign_in_refused", {"refusal": "wrong"}, "203.0.113.9", email="x@y.id")
    accounts.record(officer, "acknowledge", {"tracking_id": "5XW2KTAPJ2", "verdict": 200}, "::1")
    newest, oldest = accounts.audit()
    assert (newest.officer_id, newest.action, newest.detail["verdict"]) == (
        officer.officer_id,
        "acknowledge",
        200,
    )
    assert (oldest.officer_id, oldest.email, oldest.client) == (None, "x@y.id", "203.0.113.9")


def test_who_may_invite_and_remove_whom() -> None:
    national = Officer("n", "n@menpan.go.id", "N", Role.NATIONAL_ADMIN, NATIONAL)
    admin = Officer("a", "a@oku.go.id", "A", Role.AGENCY_ADMIN, OKU)
    penghubung = Officer("l", "l@oku.go.id", "L", Role.LIAISON, OKU)
    assert may_invite(national, Role.AGENCY_ADMIN, OKU)
    assert may_invite(national, Role.NATIONAL_ADMIN, NATIONAL)
    assert not may_invite(national, Role.NATIONAL_ADMIN, OKU)
    assert not may_invite(national, Role.AGENCY_ADMIN, NATIONAL)
    assert may_invite(admin, Role.LIAISON, OKU)
    assert not may_invite(admin, Role.LIAISON, "pemkot-bandung")
    assert not may_invite(admin, Role.NATIONAL_ADMIN, NATIONAL)
    assert not may_invite(penghubung, Role.LIAISON, OKU)
    assert may_remove(admin, penghubung) and not may_remove(admin, admin)
    assert not may_remove(penghubung, admin)


@pytest.mark.parametrize(
    ("role", "holds", "anonymous", "confidential", "sees"),
    [
        (Role.LIAISON, True, False, False, True),
        (Role.AGENCY_ADMIN, True, False, False, True),
        (Role.NATIONAL_ADMIN, False, False, False, True),
        (Role.LIAISON, True, False, True, False),  # rahasia: not the unit's liaison
        (Role.AGENCY_ADMIN, True, False, True, True),
        (Role.NATIONAL_ADMIN, False, False, True, True),
        (Role.AGENCY_ADMIN, False, False, False, False),  # a copy (tembusan): never
        (Role.LIAISON, False, False, False, False),
        (Role.LIAISON, True, True, False, False),  # anonim: no one
        (Role.AGENCY_ADMIN, True, True, True, False),
        (Role.NATIONAL_ADMIN, False, True, False, False),
    ],
)
def test_who_may_see_who_reported(
    role: Role, holds: bool, anonymous: bool, confidential: bool, sees: bool
) -> None:
    actor = Officer("o", "o@oku.go.id", "O", role, NATIONAL if role is Role.NATIONAL_ADMIN else OKU)
    assert may_see_reporter(actor, holds, anonymous, confidential) is sees
