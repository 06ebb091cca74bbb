"""The filing form: what the citizen typed, checked field by field in their language, and
turned into the same ComplaintSubmission the API takes.

Every rule the API's schema has is checked here first with a sentence from the catalog, next
to the field it is about; the submission is then built by the API's own model, so the two
doors cannot drift apart (a rule only the model knows still refuses, with a general message).
"""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from services.intake.schemas import ComplaintSubmission, ReporterContact
from shared import clock
from shared.domain.calendar import WIB
from shared.domain.catalogue import categories, region_name
from shared.domain.complaint import Channel, ReportType
from shared.domain.routing import Directory

# The region pickers, from the province down; the deepest one chosen is the complaint's region.
REGION_FIELDS = ("province", "regency", "district", "village")
TEXT_FIELDS = (
    "report_type",
    "title",
    "description",
    "incident_date",
    "category",
    *REGION_FIELDS,
    "address",
    "latitude",
    "longitude",
    "agency_hint",
    "name",
    "email",
    "phone",
    "idempotency_key",
)
CHECKBOXES = ("anonymous", "confidential")
MAX_FILES = 5


@dataclass
class FilingForm:
    """The form as sent (strings, as typed), and what is wrong with it, by field."""

    values: dict[str, str] = field(default_factory=dict)
    checked: set[str] = field(default_factory=set)
    files: list[UploadFile] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, form: FormData) -> "FilingForm":
        values = {}
        for name in TEXT_FIELDS:
            value = form.get(name)
            values[name] = value.strip() if isinstance(value, str) else ""
        files = [
            f for f in form.getlist("files") if isinstance(f, UploadFile) and (f.filename or f.size)
        ]
        checked = {name for name in CHECKBOXES if form.get(name) == "yes"}
        return cls(values=values, checked=checked, files=files)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def region_code(self) -> str:
        """The deepest region picked ("" for none)."""
        chosen = [self.get(name) for name in REGION_FIELDS if self.get(name)]
        return chosen[-1] if chosen else ""

    def check(self, directory: Directory, _: Any) -> None:
        """Fill `errors` with each field's problem, in the reader's words (`_`: gettext)."""
        v, e = self.get, self.errors
        if v("report_type") not in {t.value for t in ReportType}:
            e["report_type"] = _("Choose the kind of report")
        if len(v("title")) < 5:
            e["title"] = _("Write a title of at least 5 characters")
        elif len(v("title")) > 200:
            e["title"] = _("Write a title of at most 200 characters")
        if not v("description"):
            e["description"] = _("Write what happened")
        elif len(v("description")) < 10:
            e["description"] = _("Write what happened in at least 10 characters")
        elif len(v("description")) > 10_000:
            e["description"] = _("Write what happened in at most 10,000 characters")
        self._check_date(_)
        if v("category") not in categories():
            e["category"] = _("Choose a category from the list")
        self._check_region(_)
        if len(v("address")) > 500:
            e["address"] = _("Write an address of at most 500 characters")
        self._check_position(_)
        if v("agency_hint") and v("agency_hint") not in directory.agencies:
            e["agency_hint"] = _("Choose an agency from the list, or leave it empty")
        self._check_contact(_)
        if len(self.files) > MAX_FILES:
            e["files"] = _("Attach at most %(count)d files") % {"count": MAX_FILES}

    def _check_date(self, _: Any) -> None:
        text = self.get("incident_date")
        if not text:
            return
        try:
            day = date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
        except ValueError:
            day = None
        if day is None:
            self.errors["incident_date"] = _("Enter a real date, for example 2026-11-10")
        elif day > clock.now().astimezone(WIB).date():
            self.errors["incident_date"] = _("The date it happened cannot be in the future")

    def _check_region(self, _: Any) -> None:
        picked = [(name, self.get(name)) for name in REGION_FIELDS if self.get(name)]
        if not picked:
            self.errors["province"] = _("Choose the province where it happened")
            return
        parent = ""
        for name, code in picked:
            if region_name(code) is None or not code.startswith(parent):
                self.errors[name] = _("Choose a region from the list")
                return
            parent = code + "."

    def _check_position(self, _: Any) -> None:
        lat, lon = self.get("latitude"), self.get("longitude")
        if not lat and not lon:
            return
        try:
            ok = -90 <= float(lat) <= 90 and -180 <= float(lon) <= 180
        except ValueError:
            ok = False
        if not ok:
            self.errors["latitude"] = _("Enter a latitude and a longitude in degrees, or neither")

    def _check_contact(self, _: Any) -> None:
        v = self.get
        if v("email"):
            try:
                ReporterContact(email=v("email"))
            except ValidationError:
                self.errors["email"] = _("Enter an e-mail address like nama@contoh.id")
        if v("phone"):
            try:
                ReporterContact(phone=v("phone"))
            except ValidationError:
                self.errors["phone"] = _("Enter an Indonesian phone number like 0812 3456 7890")
        if len(v("name")) > 120:
            self.errors["name"] = _("Write a name of at most 120 characters")
        if not v("email") and not v("phone") and "anonymous" not in self.checked:
            self.errors["email"] = _(
                "Give an e-mail address or a phone number, or choose anonim to report "
                "with no contact at all"
            )

    def submission(self, _: Any) -> ComplaintSubmission | None:
        """The API's submission, or None with `errors` filled."""
        v = self.get
        reporter = {
            key: v(key) for key in ("name", "email", "phone") if v(key)
        }  # none given: no identity at all
        body: dict[str, Any] = {
            "report_type": v("report_type"),
            "title": v("title"),
            "description": v("description"),
            "category": v("category"),
            "location": {
                "region_code": self.region_code,
                "address": v("address") or None,
                **(
                    {"latitude": float(v("latitude")), "longitude": float(v("longitude"))}
                    if v("latitude")
                    else {}
                ),
            },
            "incident_date": v("incident_date") or None,
            "agency_hint": v("agency_hint") or None,
            "channel": Channel.WEB.value,
            "anonymous": "anonymous" in self.checked,
            "confidential": "confidential" in self.checked,
            "reporter": reporter or None,
        }
        try:
            return ComplaintSubmission.model_validate(body)
        except ValidationError as invalid:
            for error in invalid.errors():
                where = str(error["loc"][-1]) if error["loc"] else "title"
                name = where if where in TEXT_FIELDS else "title"
                self.errors.setdefault(name, _("Check this field"))
            return None
