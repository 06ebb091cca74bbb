"""Officers' accounts: invitations, passwords, TOTP codes, sessions, lockout, and the record
of who signed in and did what.

Kept in the platform database with intake's own state (migrated, shared by every replica).
Passwords are hashed with Argon2id (argon2-cffi, the parameters of RFC 9106's second
recommended profile as its defaults); codes are RFC 6238 TOTP (pyotp), each accepted once.
Secrets handed out (a session, an invitation) are kept only as their sha256, so a copy of
the database signs no one in.

A refusal never says whether an address has an account: a wrong address, a wrong password,
a wrong code and a removed account read the same, and five failures in a row lock the
address, known or not.
"""

import hashlib
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    select,
)
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from shared.adapters.sql.migrations import ensure_current
from shared.clock import system_clock
from shared.domain.officers import (
    INVITATION_VALID,
    LOCKOUT,
    MAX_FAILURES,
    PASSWORD_MIN,
    SESSION_IDLE,
    SESSION_LONGEST,
    Officer,
    Role,
    needs_second_factor,
    normal_email,
)

METADATA = MetaData()
OFFICERS = Table(
    "officers",
    METADATA,
    Column("officer_id", String(36), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("agency_id", String(80), nullable=False, index=True),
    Column("categories", Text, nullable=False),  # a JSON list; [] is every category
    Column("regions", Text, nullable=False),  # a JSON list of region-code prefixes
    Column("password_hash", Text),  # NULL until the invitation is accepted
    Column("totp_secret", String(64)),  # base32; NULL: no second factor
    Column("totp_last_step", Integer),  # the last code's time step, so none is used twice
    Column("invitation_sha256", String(64), unique=True),
    Column("invitation_expires_at", DateTime(timezone=True)),
    Column("invited_by", String(36)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
OFFICER_SESSIONS = Table(
    "officer_sessions",
    METADATA,
    Column("token_sha256", String(64), primary_key=True),
    Column("officer_id", String(36), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)
SIGN_IN_FAILURES = Table(
    "sign_in_failures",
    METADATA,
    Column("email", String(320), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True)),
)
OFFICER_AUDIT = Table(
    "officer_audit",
    METADATA,
    Column("entry_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("officer_id", String(36), index=True),  # NULL: a failed sign-in
    Column("email", String(320), nullable=False),
    Column("action", String(64), nullable=False),
    Column("detail", Text, nullable=False),  # JSON: what was acted on, and the verdict
    Column("client", String(64), nullable=False),
)

# Verified against when an address has no account, so a refusal takes as long either way.
_HASHER = PasswordHasher()
_NO_ACCOUNT = _HASHER.hash(secrets.token_urlsafe(16))
SEEN_EVERY = timedelta(minutes=1)  # how often a session's last request is written down


class Refusal(StrEnum):
    WRONG = "wrong"  # address, password or code: which, it never says
    LOCKED = "locked"
    CODE_NEEDED = "code_needed"  # the password was right; the account asks for its code


class AccountError(Exception):
    """What an invitation or an acceptance cannot do. `reason` is a code the pages word."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SignIn:
    officer: Officer | None
    session: str | None  # the session token to set as the cookie
    refusal: Refusal | None


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    officer_id: str | None
    email: str
    action: str
    detail: dict[str, Any]
    client: str


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _officer(row: Row[Any]) -> Officer:
    return Officer(
        officer_id=row.officer_id,
        email=row.email,
        name=row.name,
        role=Role(row.role),
        agency_id=row.agency_id,
        categories=tuple(json.loads(row.categories)),
        regions=tuple(json.loads(row.regions)),
        second_factor=row.totp_secret is not None,
    )


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; every one stored here is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=system_clock().tzinfo)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app reads (from a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="Pintu SP4N-LAPOR!")


def password_problem(password: str) -> str | None:
    """Why a new password will not do, as a code; None when it will."""
    if len(password) < PASSWORD_MIN:
        return "password_short"
    if len(password) > 200:
        return "password_long"
    return None


class Accounts:
    def __init__(self, database: Engine, now: Callable[[], datetime] = system_clock) -> None:
        self._db = database
        self._now = now
        ensure_current(database)

    # -- invitations ----------------------------------------------------------------------

    def invite(
        self,
        email: str,
        name: str,
        role: Role,
        agency_id: str,
        *,
        invited_by: Officer | None = None,
        categories: tuple[str, ...] = (),
        regions: tuple[str, ...] = (),
    ) -> tuple[Officer, str]:
        """A new officer without a password, and the invitation token that lets them set one.
        AccountError("taken") when the address has an account already."""
        token = secrets.token_urlsafe(32)
        officer = Officer(
            officer_id=str(uuid.uuid4()),
            email=normal_email(email),
            name=name.strip(),
            role=role,
            agency_id=agency_id,
            categories=categories,
            regions=regions,
        )
        now = self._now()
        try:
            with self._db.begin() as c:
                c.execute(
                    OFFICERS.insert().values(
                        officer_id=officer.officer_id,
                        email=officer.email,
                        name=officer.name,
                        role=officer.role.value,
                        agency_id=agency_id,
                        categories=json.dumps(list(categories)),
                        regions=json.dumps(list(regions)),
                        invitation_sha256=_sha256(token),
                        invitation_expires_at=now + INVITATION_VALID,
                        invited_by=invited_by.officer_id if invited_by else None,
                        created_at=now,
                    )
                )
        except IntegrityError as taken:
            raise AccountError("taken") from taken
        return officer, token

    def invited(self, token: str) -> Officer | None:
        """The officer a valid, unused, unexpired invitation is for."""
        with self._db.connect() as c:
            row = c.execute(
                select(OFFICERS).where(OFFICERS.c.invitation_sha256 == _sha256(token))
            ).one_or_none()
        if row is None or _aware(row.invitation_expires_at) < self._now():
            return None
        return _officer(row)

    def accept(
        self, token: str, password: str, totp_secret: str | None = None, code: str = ""
    ) -> Officer:
        """Set the password (and the second factor) an invitation asks for; the invitation is
        then spent. AccountError: "invitation", a password code, "code" (a wrong TOTP code),
        "second_factor" (the role must have one)."""
        officer = self.invited(token)
        if officer is None:
            raise AccountError("invitation")
        problem = password_problem(password)
        if problem:
            raise AccountError(problem)
        if needs_second_factor(officer.role) and totp_secret is None:
            raise AccountError("second_factor")
        step = None
        if totp_secret is not None:
            step = _valid_step(totp_secret, code, self._now(), last=None)
            if step is None:
                raise AccountError("code")
        with self._db.begin() as c:
            spent = c.execute(
                OFFICERS.update()
                .where(
                    OFFICERS.c.officer_id == officer.officer_id,
                    OFFICERS.c.invitation_sha256 == _sha256(token),
                )
                .values(
                    password_hash=_HASHER.hash(password),
                    totp_secret=totp_secret,
                    totp_last_step=step,
                    invitation_sha256=None,
                    invitation_expires_at=None,
                )
            )
        if spent.rowcount != 1:  # accepted at the same moment elsewhere
            raise AccountError("invitation")
        return replace(officer, second_factor=totp_secret is not None)

    # -- signing in and sessions ----------------------------------------------------------

    def sign_in(self, email: str, password: str, code: str = "") -> SignIn:
        """A session for the right address, password and (when the account has one) code."""
        address = normal_email(email)
        now = self._now()
        if self._locked(address, now):
            return SignIn(None, None, Refusal.LOCKED)
        with self._db.connect() as c:
            row = c.execute(
                select(OFFICERS).where(
                    OFFICERS.c.email == address, OFFICERS.c.password_hash.is_not(None)
                )
            ).one_or_none()
        matches = _password_matches(row.password_hash if row else _NO_ACCOUNT, password)
        if row is None or not matches:
            return self._failed(address, now)
        step = None
        if row.totp_secret is not None:
            if not code.strip():
                return SignIn(None, None, Refusal.CODE_NEEDED)
            step = _valid_step(row.totp_secret, code, now, last=row.totp_last_step)
            if step is None:
                return self._failed(address, now)
        token = secrets.token_urlsafe(32)
        with self._db.begin() as c:
            c.execute(delete(SIGN_IN_FAILURES).where(SIGN_IN_FAILURES.c.email == address))
            if step is not None:
                c.execute(
                    OFFICERS.update()
                    .where(OFFICERS.c.officer_id == row.officer_id)
                    .values(totp_last_step=step)
                )
            if _HASHER.check_needs_rehash(row.password_hash):
                c.execute(
                    OFFICERS.update()
                    .where(OFFICERS.c.officer_id == row.officer_id)
                    .values(password_hash=_HASHER.hash(password))
                )
            c.execute(
                OFFICER_SESSIONS.insert().values(
                    token_sha256=_sha256(token),
                    officer_id=row.officer_id,
                    created_at=now,
                    seen_at=now,
                )
            )
        return SignIn(_officer(row), token, None)

    def session(self, token: str) -> Officer | None:
        """The officer a live session is for; an idle or too old one is ended."""
        now = self._now()
        key = _sha256(token)
        with self._db.connect() as c:
            found = c.execute(
                select(OFFICER_SESSIONS, OFFICERS)
                .join(OFFICERS, OFFICERS.c.officer_id == OFFICER_SESSIONS.c.officer_id)
                .where(OFFICER_SESSIONS.c.token_sha256 == key)
            ).one_or_none()
        if found is None:
            return None
        seen, created = _aware(found.seen_at), _aware(found.created_at)
        if now - seen > SESSION_IDLE or now - created > SESSION_LONGEST:
            self.sign_out(token)
            return None
        if now - seen > SEEN_EVERY:
            with self._db.begin() as c:
                c.execute(
                    OFFICER_SESSIONS.update()
                    .where(OFFICER_SESSIONS.c.token_sha256 == key)
                    .values(seen_at=now)
                )
        return _officer(found)

    def sign_out(self, token: str) -> None:
        with self._db.begin() as c:
            c.execute(
                delete(OFFICER_SESSIONS).where(OFFICER_SESSIONS.c.token_sha256 == _sha256(token))
            )

    def sign_out_everywhere(self, officer_id: str) -> int:
        """End every session of the officer; how many there were."""
        with self._db.begin() as c:
            ended = c.execute(
                delete(OFFICER_SESSIONS).where(OFFICER_SESSIONS.c.officer_id == officer_id)
            )
        return ended.rowcount

    # -- the team -------------------------------------------------------------------------

    def officer(self, officer_id: str) -> Officer | None:
        with self._db.connect() as c:
            row = c.execute(
                select(OFFICERS).where(OFFICERS.c.officer_id == officer_id)
            ).one_or_none()
        return None if row is None else _officer(row)

    def team(self, agency_id: str) -> list[tuple[Officer, bool]]:
        """The agency's officers by name, each with whether the invitation is still open."""
        with self._db.connect() as c:
            rows = c.execute(
                select(OFFICERS).where(OFFICERS.c.agency_id == agency_id).order_by(OFFICERS.c.name)
            ).all()
        return [(_officer(row), row.password_hash is None) for row in rows]

    def remove(self, officer_id: str) -> bool:
        """The account and its sessions gone; the audit keeps what it did."""
        with self._db.begin() as c:
            c.execute(delete(OFFICER_SESSIONS).where(OFFICER_SESSIONS.c.officer_id == officer_id))
            removed = c.execute(delete(OFFICERS).where(OFFICERS.c.officer_id == officer_id))
        return removed.rowcount == 1

    def team_sizes(self) -> dict[str, int]:
        """How many officers (invited ones included) each agency has."""
        query = select(OFFICERS.c.agency_id, func.count()).group_by(OFFICERS.c.agency_id)
        with self._db.connect() as c:
            return {row[0]: int(row[1]) for row in c.execute(query)}

    def count(self, role: Role | None = None) -> int:
        query = select(func.count()).select_from(OFFICERS)
        if role is not None:
            query = query.where(OFFICERS.c.role == role.value)
        with self._db.connect() as c:
            return int(c.scalar(query) or 0)

    # -- the record -----------------------------------------------------------------------

    def record(
        self,
        officer: Officer | None,
        action: str,
        detail: dict[str, Any],
        client: str,
        email: str | None = None,
    ) -> None:
        """Write down who did what (a sign-in, refused or not; every action and its verdict)."""
        with self._db.begin() as c:
            c.execute(
                OFFICER_AUDIT.insert().values(
                    at=self._now(),
                    officer_id=officer.officer_id if officer else None,
                    email=officer.email if officer else normal_email(email or ""),
                    action=action,
                    detail=json.dumps(detail, sort_keys=True),
                    client=client[:64],
                )
            )

    def audit(self, officer_id: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """The latest entries, newest first (of one officer, if named)."""
        query = select(OFFICER_AUDIT).order_by(OFFICER_AUDIT.c.entry_id.desc()).limit(limit)
        if officer_id is not None:
            query = query.where(OFFICER_AUDIT.c.officer_id == officer_id)
        with self._db.connect() as c:
            rows = c.execute(query).all()
        return [
            AuditEntry(
                _aware(r.at), r.officer_id, r.email, r.action, json.loads(r.detail), r.client
            )
            for r in rows
        ]

    # -- lockout --------------------------------------------------------------------------

    def _locked(self, address: str, now: datetime) -> bool:
        with self._db.connect() as c:
            until = c.scalar(
                select(SIGN_IN_FAILURES.c.locked_until).where(SIGN_IN_FAILURES.c.email == address)
            )
        return until is not None and _aware(until) > now

    def _failed(self, address: str, now: datetime) -> SignIn:
        """Count a failure against the address; the fifth in a row locks it."""
        failures = SIGN_IN_FAILURES
        with self._db.begin() as c:
            counted_one = failures.update().where(failures.c.email == address)
            if c.execute(counted_one.values(failures=failures.c.failures + 1)).rowcount == 0:
                try:
                    with c.begin_nested():
                        c.execute(failures.insert().values(email=address, failures=1))
                except IntegrityError:  # another replica counted the first at the same moment
                    c.execute(counted_one.values(failures=failures.c.failures + 1))
            counted = c.scalar(select(failures.c.failures).where(failures.c.email == address))
            if counted is not None and counted >= MAX_FAILURES:
                c.execute(counted_one.values(failures=0, locked_until=now + LOCKOUT))
                return SignIn(None, None, Refusal.LOCKED)
        return SignIn(None, None, Refusal.WRONG)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _valid_step(secret: str, code: str, now: datetime, last: int | None) -> int | None:
    """The time step of a right code (the current one or a neighbour, for a clock a little
    off), None for a wrong one or one already used."""
    totp = pyotp.TOTP(secret)
    digits = code.strip().replace(" ", "")
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(step), digits):
            return step if last is None or step > last else None
    return None
