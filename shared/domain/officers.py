"""The people who work complaints in the console, and what each may do.

Three roles, as in SP4N-LAPOR!: the national admin (at KemenPANRB) verifies, reassigns and
manages the agencies' admins; an agency admin manages the officers of the agency; a pejabat
penghubung (liaison) works the agency's complaints, optionally only those of some categories
or regions. Accounts are for people; API keys stay for machines.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from shared.domain.complaint import NATIONAL_TRIAGE

NATIONAL = NATIONAL_TRIAGE  # the national admin's place in the directory

# Five wrong passwords (or codes) in a row lock the sign-in for a while, whoever tries.
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
# A session ends after this long without a request, and in any case after a working day.
SESSION_IDLE = timedelta(minutes=30)
SESSION_LONGEST = timedelta(hours=12)
INVITATION_VALID = timedelta(days=3)
PASSWORD_MIN = 12  # characters; length, not composition rules (NIST SP 800-63B)


class Role(StrEnum):
    NATIONAL_ADMIN = "national_admin"
    AGENCY_ADMIN = "agency_admin"
    LIAISON = "liaison"  # pejabat penghubung


@dataclass(frozen=True)
class Officer:
    officer_id: str
    email: str
    name: str
    role: Role
    agency_id: str  # NATIONAL for a national admin
    categories: tuple[str, ...] = field(default=())  # a liaison's, if limited; () is all
    regions: tuple[str, ...] = field(default=())  # region-code prefixes, likewise
    second_factor: bool = False  # signs in with a TOTP code as well


def needs_second_factor(role: Role) -> bool:
    """A national admin may act on every complaint: a password alone never signs one in."""
    return role is Role.NATIONAL_ADMIN


def may_invite(actor: Officer, role: Role, agency_id: str) -> bool:
    """The national admin invites national admins and agency admins; an agency admin invites
    its own agency's admins and liaisons; a liaison invites no one."""
    if actor.role is Role.NATIONAL_ADMIN:
        return (role is Role.NATIONAL_ADMIN) == (agency_id == NATIONAL)
    if actor.role is Role.AGENCY_ADMIN:
        return agency_id == actor.agency_id and role in (Role.AGENCY_ADMIN, Role.LIAISON)
    return False


def may_remove(actor: Officer, officer: Officer) -> bool:
    """Whom `actor` may invite, it may remove, but never itself (someone must remain)."""
    return actor.officer_id != officer.officer_id and may_invite(
        actor, officer.role, officer.agency_id
    )


def may_see_team(actor: Officer, agency_id: str) -> bool:
    return actor.role is Role.NATIONAL_ADMIN or (
        actor.role is Role.AGENCY_ADMIN and actor.agency_id == agency_id
    )


def normal_email(email: str) -> str:
    """The form an address is kept and looked up in."""
    return email.strip().lower()


def may_see_reporter(actor: Officer, holds: bool, anonymous: bool, confidential: bool) -> bool:
    """Who reported, shown only to whom must know: never where the report is anonim (hidden
    from every officer); to the national admin; to the officers of the agency holding it (not
    to one with a copy); and where it is rahasia, of those only to the agency's admins, since
    such a report is often about the very work unit its liaison serves in."""
    if anonymous:
        return False
    if actor.role is Role.NATIONAL_ADMIN:
        return True
    if not holds:
        return False
    return actor.role is Role.AGENCY_ADMIN or not confidential


def may_assign(actor: Officer, officer: Officer) -> bool:
    """An agency's officers share out its complaints among themselves: any of them may
    assign one to any officer of the same agency (the national admin's are not an agency's
    to share)."""
    return (
        actor.role is not Role.NATIONAL_ADMIN
        and officer.role is not Role.NATIONAL_ADMIN
        and actor.agency_id == officer.agency_id
    )
