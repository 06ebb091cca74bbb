"""The domain's codes as people read them: a deadline's stage, a complaint's status."""

from shared.domain.complaint import Status
from shared.domain.deadlines import (
    COMPLETION,
    ESCALATION,
    FIRST_FOLLOW_UP,
    REPLY_WINDOW,
    REPORTER_INFO,
    TRIAGE,
    VERIFICATION,
)
from shared.wording.catalog import translations


def stage_name(stage: str, language: str = "id") -> str:
    """A stage as people read it, in `language` (see `spoken`), lower case to sit inside a
    sentence; an unknown stage as it is."""
    pgettext = translations(language).pgettext
    names = {
        VERIFICATION: pgettext("stage", "verification"),
        TRIAGE: pgettext("stage", "assignment"),
        FIRST_FOLLOW_UP: pgettext("stage", "first follow-up"),
        COMPLETION: pgettext("stage", "completion"),
        ESCALATION: pgettext("stage", "the supervisor's response"),
        REPORTER_INFO: pgettext("stage", "the reporter's answer"),
        REPLY_WINDOW: pgettext("stage", "the reporter's response"),
    }
    return str(names.get(stage, stage))


def status_label(status: Status, language: str = "id") -> str:
    """A complaint's status in SP4N-LAPOR!'s words, in `language` (see `spoken`)."""
    pgettext = translations(language).pgettext
    labels = {
        Status.UNVERIFIED: pgettext("status", "Not yet verified"),
        Status.DISPOSED_NOT_FOLLOWED_UP: pgettext("status", "Assigned, not yet followed up"),
        Status.DISPOSED_IN_PROGRESS: pgettext("status", "Assigned, in progress"),
        Status.DISPOSED_DONE: pgettext("status", "Assigned, completed"),
        Status.POSTPONED: pgettext("status", "Postponed"),
        Status.ARCHIVED: pgettext("status", "Archived"),
    }
    return str(labels[status])
