"""Response templates (templat jawaban): an agency's ready sentences for its officers'
follow-ups, completions, questions and declines, by action and, if it says so, category.

Kept in the platform database (migrated, shared by every replica), written by the agency's
admins; an officer picks one on a complaint's page and edits it before sending.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, Text, delete, select

from shared.adapters.sql.migrations import ensure_current
from shared.clock import system_clock

# The actions a template is for: the form field each fills on a complaint's page.
FOR_ACTIONS = ("follow_up", "resolution", "question", "reason")
TITLE_MAX, BODY_MIN, BODY_MAX = 120, 10, 4000

METADATA = MetaData()
RESPONSE_TEMPLATES = Table(
    "response_templates",
    METADATA,
    Column("template_id", String(36), primary_key=True),
    Column("agency_id", String(80), nullable=False, index=True),
    Column("action", String(32), nullable=False),
    Column("category", String(80)),  # NULL: every category
    Column("title", String(TITLE_MAX), nullable=False),
    Column("body", Text, nullable=False),
    Column("updated_by", String(36), nullable=False),  # the officer, for the audit
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class ResponseTemplate:
    template_id: str
    agency_id: str
    action: str
    category: str | None
    title: str
    body: str


class ResponseTemplates:
    def __init__(self, database: Engine, now: Callable[[], datetime] = system_clock) -> None:
        self._db = database
        self._now = now
        ensure_current(database)

    def save(
        self,
        agency_id: str,
        action: str,
        category: str | None,
        title: str,
        body: str,
        officer_id: str,
        template_id: str | None = None,
    ) -> ResponseTemplate:
        """A new template, or `template_id`'s replaced (when it is the agency's)."""
        saved = ResponseTemplate(
            template_id or str(uuid.uuid4()), agency_id, action, category, title, body
        )
        row = {
            "agency_id": agency_id,
            "action": action,
            "category": category,
            "title": title,
            "body": body,
            "updated_by": officer_id,
            "updated_at": self._now(),
        }
        t = RESPONSE_TEMPLATES
        with self._db.begin() as c:
            if template_id is not None:
                c.execute(
                    t.update()
                    .where(t.c.template_id == template_id, t.c.agency_id == agency_id)
                    .values(**row)
                )
            else:
                c.execute(t.insert().values(template_id=saved.template_id, **row))
        return saved

    def of(self, agency_id: str) -> list[ResponseTemplate]:
        """The agency's templates, by action, then title."""
        t = RESPONSE_TEMPLATES
        with self._db.connect() as c:
            rows = c.execute(
                select(t).where(t.c.agency_id == agency_id).order_by(t.c.action, t.c.title)
            ).all()
        return [
            ResponseTemplate(r.template_id, r.agency_id, r.action, r.category, r.title, r.body)
            for r in rows
        ]

    def for_complaint(self, agency_id: str, category: str) -> dict[str, list[ResponseTemplate]]:
        """By action, the agency's templates that fit a complaint of `category`."""
        fitting: dict[str, list[ResponseTemplate]] = {}
        for template in self.of(agency_id):
            if template.category in (None, category):
                fitting.setdefault(template.action, []).append(template)
        return fitting

    def remove(self, agency_id: str, template_id: str) -> bool:
        t = RESPONSE_TEMPLATES
        with self._db.begin() as c:
            gone = c.execute(
                delete(t).where(t.c.template_id == template_id, t.c.agency_id == agency_id)
            )
        return gone.rowcount == 1
