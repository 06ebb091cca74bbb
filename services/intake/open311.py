"""Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2): the door 311 apps already speak.

Every path ends in .json or .xml, as in the spec, and every answer under /open311/, errors
included (an unknown path, a method not served, a body too large, too many filings), comes
back in that syntax: the spec's service list, request list or <errors>. A path that ends in
neither answers JSON, or XML when the Accept header asks for XML and not JSON. Filing goes
through the one Filing path; reading comes from the read model, which never lists a rahasia
complaint and holds no reporter identity, or, for one request just filed and not yet
projected, from intake's own record of it (services/intake/views.py).
"""

import hmac
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import parse_qsl
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from services.intake.access import SettingsDep, settings
from services.intake.complaints import FilingDep, ReadModelDep
from services.intake.schemas import ComplaintSubmission
from services.intake.views import ComplaintViewsDep
from shared import clock
from shared.adapters.kafka.publisher import BrokerUnavailable
from shared.domain.catalogue import Category, categories, region_name
from shared.domain.complaint import Attachment, Channel, Status
from shared.domain.tracking import is_tracking_id
from shared.projections.inbox import PublicRequest
from shared.wording import status_label, translations

WINDOW = timedelta(days=90)  # the spec's default and widest search span
MAX_REQUESTS = 1000  # the spec's default query limit
MAX_DESCRIPTION = 4000  # the spec's limit on description
ENOUGH_TEXT = r"\S(\s*\S){9}"  # ten characters other than spaces: a title and a chronology
CLOSED = frozenset({Status.DISPOSED_DONE, Status.ARCHIVED})
EXAMPLE_TRACKING_ID = "5XW2KTAPJW"
EXAMPLE_TOKEN = "cf68757c-dddc-5a3f-ae6e-93c40ecbdbd4"  # complaint_id_for(EXAMPLE_TRACKING_ID)


def empty_or(schema: dict[str, Any]) -> dict[str, Any]:
    """A form or query field's schema as the spec reads it: sent empty, it is not sent."""
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


class Format(StrEnum):
    JSON = "json"
    XML = "xml"


MEDIA_TYPES = {Format.JSON: "application/json", Format.XML: "text/xml"}
# The XML element of each item of a list, as the spec names them.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
}
# Characters XML 1.0 cannot carry; a description may hold them.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _element(name: str, value: object) -> ET.Element:
    element = ET.Element(name)
    if isinstance(value, list):
        element.extend(_element(ITEM_NAMES[name], item) for item in value)
    elif isinstance(value, dict):
        element.extend(_element(key, item) for key, item in value.items())
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = NOT_XML.sub("", str(value))
    return element


def to_xml(root: str, payload: object) -> str:
    body = ET.tostring(_element(root, payload), encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}'


def render(
    fmt: Format,
    root: str,
    payload: object,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The spec's JSON (the Spark convention of its XML) or its XML, UTF-8 either way."""
    if fmt is Format.XML:
        content = to_xml(root, payload).encode()
    else:
        content = json.dumps(payload, ensure_ascii=False).encode()
    return Response(
        content, status, headers=headers, media_type=f"{MEDIA_TYPES[fmt]}; charset=utf-8"
    )


class Open311Error(Exception):
    """Answered as the spec's <errors>: one {code, description} per problem."""

    def __init__(self, status: int, *descriptions: str, headers: dict[str, str] | None = None):
        super().__init__(*descriptions)
        self.status, self.descriptions, self.headers = status, descriptions, headers or {}

    def payload(self) -> list[dict[str, object]]:
        return [{"code": self.status, "description": d} for d in self.descriptions]

    def response(self, fmt: Format) -> Response:
        return render(fmt, "errors", self.payload(), self.status, self.headers)


PREFIX = "/open311/"


def format_of(path: str, accept: str | None) -> Format:
    """By the path's extension; without .json or .xml, by the Accept header; else JSON."""
    if path.endswith(".xml"):
        return Format.XML
    if path.endswith(".json"):
        return Format.JSON
    wanted = (accept or "").lower()
    if "xml" in wanted and "json" not in wanted:
        return Format.XML
    return Format.JSON


def requested_format(request: Request) -> Format:
    return format_of(request.url.path, request.headers.get("accept"))


def error_body(path: str, accept: str | None, status: int, description: str) -> tuple[bytes, str]:
    """An error outside any route (the ASGI guards): the body and its content type."""
    fmt = format_of(path, accept)
    answer = Open311Error(status, description).response(fmt)
    return bytes(answer.body), answer.media_type or MEDIA_TYPES[fmt]


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on this path (Starlette names only the first route's)."""
    routes = request.app.router.routes
    return [
        method
        for method in HTTP_METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    ]


def http_error(request: Request, error: StarletteHTTPException) -> Response:
    """An unknown Open311 path or a method it does not serve, in the spec's error format."""
    headers = dict(error.headers or {})
    description = str(error.detail)
    if error.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
        description = f"{request.method} is not served here; use {headers['Allow']}."
    elif error.status_code == 404:
        description = (
            f"No such Open311 resource: {request.url.path}. GeoReport v2 serves services, "
            "services/<code>, requests, requests/<id> and tokens/<token>, each as .json or .xml."
        )
    answer = Open311Error(error.status_code, description, headers=headers)
    return answer.response(requested_format(request))


class Open311Route(APIRoute):
    """Every failure of an Open311 route in the spec's error format, in the syntax asked for."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handle(request)
            except Open311Error as error:
                return error.response(requested_format(request))
            except RequestValidationError as error:
                return _unaccepted(error).response(requested_format(request))
            except BrokerUnavailable:
                seconds = settings(request).retry_after_seconds
                unavailable = Open311Error(
                    503,
                    "The request was NOT recorded: Pintu's event log is unreachable. "
                    f"Please send it again in {seconds} seconds.",
                    headers={"Retry-After": str(seconds)},
                )
                return unavailable.response(requested_format(request))

        return answer


def _unaccepted(error: RequestValidationError) -> Open311Error:
    if any(e["loc"][-1] == "fmt" for e in error.errors()):
        return Open311Error(404, "Open311 answers in json or xml: end the path in .json or .xml.")
    return Open311Error(400, *(plain_words(str(e["loc"][-1]), e) for e in error.errors()))


# --- status, services and requests in the spec's shape -------------------------------------


def open311_status(status: Status) -> str:
    return "closed" if status in CLOSED else "open"


def pintu_statuses(open311: str) -> list[Status]:
    return [s for s in Status if open311_status(s) == open311]


def w3(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# GeoReport's group and keywords per category: categories.json does not carry them (yet).
GROUPS: dict[str, tuple[str, str]] = {
    "jalan-nasional": ("infrastruktur", "jalan rusak, jalan berlubang, jembatan, pothole"),
    "jalan-provinsi": ("infrastruktur", "jalan rusak, jalan berlubang, jembatan, pothole"),
    "jalan-daerah": ("infrastruktur", "jalan rusak, jalan berlubang, jalan desa, pothole"),
    "penerangan-jalan": ("infrastruktur", "lampu jalan, PJU, lampu padam, street light"),
    "jaminan-kesehatan": ("kesehatan", "BPJS, JKN, KIS, klaim, health insurance"),
    "layanan-kesehatan": ("kesehatan", "rumah sakit, puskesmas, obat, hospital"),
    "pendidikan-dasar": ("pendidikan", "SD, SMP, sekolah, guru, school"),
    "pendidikan-menengah": ("pendidikan", "SMA, SMK, sekolah, guru, school"),
    "kependudukan": ("administrasi", "KTP, KK, akta kelahiran, Dukcapil, ID card"),
    "perizinan": ("administrasi", "izin usaha, PBG, OSS, investasi, permit"),
    "bantuan-sosial": ("sosial", "bansos, PKH, BLT, sembako, social assistance"),
    "lingkungan-hidup": ("lingkungan", "sampah, limbah, polusi, waste, pollution"),
    "pungutan-liar": ("integritas", "pungli, suap, korupsi, bribery"),
}


class Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool = False  # no service asks more than the common fields
    type: str = "realtime"  # the tracking id is known the moment Kafka has the filing
    keywords: str
    group: str


# Open311 has one language per endpoint: Pintu's is Bahasa Indonesia.
OPEN311_LANGUAGE = "id"


def service(category: Category) -> dict[str, object]:
    name = category.names[OPEN311_LANGUAGE]
    group, keywords = GROUPS.get(category.code, ("lainnya", category.code.replace("-", " ")))
    _ = translations(OPEN311_LANGUAGE).gettext
    return Service(
        service_code=category.code,
        service_name=name,
        description=_("Reports about %(category)s (%(category_en)s).")
        % {"category": f"{name[0].lower()}{name[1:]}", "category_en": category.names["en"]},
        keywords=keywords,
        group=group,
    ).model_dump()


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[dict[str, object]] = Field(description="always empty: metadata is false")


class ServiceRequest(BaseModel):
    service_request_id: str = Field(description="the tracking id (nomor tiket)")
    status: str = Field(description="open, or closed once terdisposisi_selesai or arsip")
    status_notes: str = Field(description="the LAPOR! status in Bahasa Indonesia")
    service_name: str
    service_code: str
    description: str | None = None
    agency_responsible: str | None = Field(None, description="the agency it was routed to")
    requested_datetime: str
    updated_datetime: str
    address: str | None = Field(None, description="the reporter's address, then the region")
    lat: float | None = None
    long: float | None = None
    expected_datetime: str | None = Field(
        None, description="the agency's first follow-up deadline, once routed to one"
    )
    media_url: str | None = Field(None, description="the first attached file's link")


def service_request(row: PublicRequest) -> dict[str, object]:
    category = categories().get(row.category)
    place = (row.address, region_name(row.region_code))
    return ServiceRequest(
        service_request_id=row.tracking_id,
        status=open311_status(row.status),
        status_notes=status_label(row.status, OPEN311_LANGUAGE),
        service_name=category.names[OPEN311_LANGUAGE] if category else row.category,
        service_code=row.category,
        description=row.description,
        agency_responsible=row.agency_id,
        requested_datetime=w3(row.filed_at),
        updated_datetime=w3(row.updated_at),
        address=", ".join(p for p in place if p) or None,
        lat=row.latitude,
        long=row.longitude,
        expected_datetime=None if row.expected_at is None else w3(row.expected_at),
        media_url=row.media_url,
    ).model_dump(exclude_none=True)


class RequestReceipt(BaseModel):
    service_request_id: str = Field(description="the tracking id (nomor tiket)")
    service_notice: str
    account_id: None = None
    token: str = Field(description="the complaint id; GET tokens/{token} resolves it")


class TokenAnswer(BaseModel):
    service_request_id: str
    token: str


class ErrorItem(BaseModel):
    code: int
    description: str


# --- POST requests: the form, mapped onto the one ComplaintSubmission -----------------------


class Open311Form(BaseModel):
    """The spec's POST arguments Pintu uses, plus its region_code extension."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, allow_inf_nan=False)

    api_key: str = Field(examples=["pintu-dev-open311-key"])
    service_code: str = Field(
        max_length=80,
        examples=["jalan-daerah"],
        json_schema_extra={"enum": list(categories())},
    )
    description: str = Field(
        max_length=MAX_DESCRIPTION,
        pattern=ENOUGH_TEXT,
        description="required by Pintu: at least 10 characters other than spaces",
    )
    region_code: str = Field(
        max_length=13,
        description="Pintu extension, required: the Kemendagri region code it routes by; "
        "one not in Kemendagri's list is refused with 400",
        examples=["16.08"],
    )
    lat: float | None = Field(None, ge=-90, le=90, examples=[-4.3236])
    long: float | None = Field(None, ge=-180, le=180, examples=[104.3558])
    address_string: str | None = Field(None, max_length=500)
    email: str | None = Field(None, max_length=254, json_schema_extra={"format": "email"})
    first_name: str | None = Field(None, max_length=60)
    last_name: str | None = Field(None, max_length=60)
    phone: str | None = Field(
        None,
        max_length=30,
        description="an Indonesian phone number; one that is not a dialable number is "
        "refused with 400",
    )
    media_url: str | None = Field(
        None,
        max_length=2000,
        pattern=r"^https?://[^/?#\s]+",
        description="an http(s) link to a photo or file; kept as the complaint's attachment, "
        "by reference (its media type, size and sha256 unknown); left empty, none",
    )


def form_schema() -> dict[str, Any]:
    """The form's JSON Schema as a form can be: an optional field is one left out, never
    null (the spec: a field sent empty is one not sent), so no field may be null."""
    schema = Open311Form.model_json_schema()
    for name, field in schema["properties"].items():
        if "anyOf" in field:
            (kept,) = [s for s in field.pop("anyOf") if s.get("type") != "null"]
            field.pop("default", None)
            shaped = {**kept, **field}
            if "format" in shaped or "pattern" in shaped:  # sent empty, it is not sent
                shaped = empty_or(shaped)
            schema["properties"][name] = shaped
    return schema


EXAMPLE_FORM = {
    "api_key": "pintu-dev-open311-key",
    "jurisdiction_id": "lapor.go.id",
    "service_code": "jalan-daerah",
    "lat": "-4.3236",
    "long": "104.3558",
    "address_string": "Jl. Lintas Desa Terukis, Martapura",
    "email": "siti.aminah@example.id",
    "device_id": "tt222111",
    "first_name": "Siti",
    "last_name": "Aminah",
    "phone": "0812-3456-7890",
    "description": "Lubang besar di jalan kabupaten depan SD Negeri 1 Martapura. "
    "Dua pengendara motor jatuh minggu lalu.",
    "media_url": "https://files.example.id/foto-jalan.jpg",
    "region_code": "16.08",
}

WHY_REGION = (
    "region_code is required: Pintu routes every report to the agency responsible for its "
    "region, so send the Kemendagri code of the province, kabupaten/kota, kecamatan or desa "
    "(e.g. 16.08 for Kabupaten Ogan Komering Ulu Timur). It is Pintu's extension to GeoReport v2."
)
MESSAGES = {
    "missing": "{field} is required",
    "string_too_short": "{field} is too short: at least {min_length} characters",
    "string_too_long": "{field} is too long: at most {max_length} characters",
    "greater_than_equal": "{field} must be at least {ge}",
    "less_than_equal": "{field} must be at most {le}",
    "float_parsing": "{field} must be a number in decimal degrees, such as -4.3236",
    "finite_number": "{field} must be a number in decimal degrees, such as -4.3236",
}
# What a field's pattern asks, in plain words.
PATTERNS = {
    "description": "description is too short: at least 10 characters other than spaces",
    "media_url": "media_url must be an http:// or https:// URL",
}
# Where each ComplaintSubmission field came from in the form.
FORM_FIELDS = {
    "title": "description",
    "category": "service_code",
    "address": "address_string",
    "latitude": "lat",
    "longitude": "long",
    "name": "first_name + last_name",
}


def plain_words(field: str, error: ErrorDetails) -> str:
    if field == "region_code" and error["type"] == "missing":
        return WHY_REGION
    if error["type"] == "string_pattern_mismatch" and field in PATTERNS:
        return PATTERNS[field]
    template = MESSAGES.get(error["type"])
    if template is None:
        return f"{field}: {error['msg'].removeprefix('Value error, ')}"
    return template.format(field=field, **error.get("ctx", {}))


def title_from(description: str) -> str:
    """The first sentence of the first line, clipped to a title's 200 characters."""
    lines = [line.strip() for line in description.splitlines() if line.strip()]
    first_line = lines[0] if lines else ""
    title = re.split(r"(?<=[.!?])\s", first_line, maxsplit=1)[0].rstrip(".")
    for longer in (first_line, " ".join(description.split())):
        if len(title) < 5:
            title = longer
    if len(title) <= 200:
        return title
    clipped = title[:199]
    by_word = clipped.rsplit(" ", 1)[0]
    return (by_word if len(by_word) >= 100 else clipped).rstrip(" ,;:") + "…"


def submission_from_form(fields: Mapping[str, str]) -> ComplaintSubmission:
    """The Open311 form as a Pintu filing, or every problem at once as an Open311Error."""
    # The spec: an optional argument sent empty is one not sent.
    raw = {k: v.strip() for k, v in fields.items() if v.strip()}
    code = raw.get("service_code")
    if code is not None and code not in categories():
        raise Open311Error(404, f"service_code {code!r} is not a service; GET services lists them.")
    problems: dict[str, str] = {}  # by form field: the first problem found is the one to fix
    try:
        Open311Form.model_validate(raw)
    except ValidationError as error:
        for e in error.errors():
            problems.setdefault(str(e["loc"][0]), plain_words(str(e["loc"][0]), e))
    if ("lat" in raw) != ("long" in raw):
        problems.setdefault("lat", "lat and long must be sent together")
    elif "lat" not in raw and "address_string" not in raw:
        problems.setdefault("lat", "a location is required: lat and long, or address_string")
    submission = None
    try:
        submission = ComplaintSubmission.model_validate(_submission_fields(raw))
    except ValidationError as error:
        # The title is derived: a problem with the description explains it better.
        for e in sorted(error.errors(), key=lambda e: e["loc"][-1] == "title"):
            field = FORM_FIELDS.get(str(e["loc"][-1]), str(e["loc"][-1]))
            problems.setdefault(field, plain_words(field, e))
    if submission is None or problems:
        raise Open311Error(400, *problems.values())
    return submission


def media_links(fields: Mapping[str, str]) -> tuple[Attachment, ...]:
    """The form's media_url (checked by submission_from_form) as an attachment by reference:
    a bare link, its media type, size and sha256 unknown."""
    url = fields.get("media_url", "").strip()
    return (Attachment(url=url),) if url else ()


def _number(text: str | None) -> float | str | None:
    """A form's number as the JSON door's number (which takes no strings); text that is no
    number stays text, for the submission to name."""
    try:
        return float(text) if text is not None else None
    except ValueError:
        return text


def _submission_fields(raw: Mapping[str, str]) -> dict[str, object]:
    name = " ".join(raw[n] for n in ("first_name", "last_name") if n in raw)
    contact = {"name": name, "email": raw.get("email"), "phone": raw.get("phone")}
    location = {
        "region_code": raw.get("region_code"),
        "address": raw.get("address_string"),
        "latitude": _number(raw.get("lat")),
        "longitude": _number(raw.get("long")),
    }
    fields = {
        "title": title_from(raw.get("description", "")),
        "description": raw.get("description"),
        "category": raw.get("service_code"),
        "location": {k: v for k, v in location.items() if v is not None},
        "channel": Channel.PARTNER_API,
        "reporter": {k: v for k, v in contact.items() if v} or None,
    }
    return {k: v for k, v in fields.items() if v is not None}


async def form_fields(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise Open311Error(
            400, "Send the request as application/x-www-form-urlencoded, as GeoReport v2 says."
        )
    try:
        text = (await request.body()).decode("utf-8")
        return dict(parse_qsl(text, keep_blank_values=True, max_num_fields=100))
    except (UnicodeDecodeError, ValueError) as error:
        raise Open311Error(400, f"The form could not be read as UTF-8 fields: {error}") from None


def api_keys(config: SettingsDep) -> list[str]:
    return config.open311_api_keys


def check_api_key(given: str | None, allowed: list[str]) -> None:
    if not given or not any(hmac.compare_digest(given.encode(), k.encode()) for k in allowed):
        raise Open311Error(403, "Invalid api_key received -- can't proceed with create_request.")


# --- GET requests: the spec's filters -----------------------------------------------------


def comma_list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def w3_datetime(name: str, text: str | None) -> datetime | None:
    if not text:
        return None
    # An unencoded + in the offset arrives as a space.
    text = text.strip().replace(" ", "+")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(
            400, f"{name} must be a w3 datetime such as 2026-11-10T00:00:00+07:00, not {text!r}"
        ) from None
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} needs a timezone, such as Z or +07:00: {text!r}")
    return moment


def window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """The spec's search window: the most recent 90 days unless told, never wider."""
    if start is None:
        end = end or clock.now()
        return end - WINDOW, end
    if end is None:
        return start, start + WINDOW
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > WINDOW:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    return start, end


# open, closed, or both comma-separated (spaces allowed around each); empty: no filter.
STATUS_LIST = r"^\s*((open|closed)\s*(,\s*(open|closed)\s*)*)?$"


def statuses(text: str | None) -> list[Status]:
    if text is not None and not re.fullmatch(STATUS_LIST, text):
        unknown = [s for s in text.split(",") if s.strip() not in ("open", "closed")]
        shown = ", ".join(s.strip() or repr(s) for s in unknown)
        raise Open311Error(400, f"status may be open, closed or open,closed, not {shown}")
    return [s for o in dict.fromkeys(comma_list(text)) for s in pintu_statuses(o)]


# The filters GET Service Requests reads, each one value (several go comma-separated in it).
REQUEST_FILTERS = ("service_request_id", "service_code", "start_date", "end_date", "status")


def each_filter_once(request: Request) -> None:
    """A filter sent twice is refused: which of its values was meant cannot be known, and
    answering for one of them would hide that the other was dropped."""
    sent = {name: len(request.query_params.getlist(name)) for name in REQUEST_FILTERS}
    repeated = [
        f"{name} was sent {times} times: send it once, several values comma-separated in it"
        for name, times in sent.items()
        if times > 1
    ]
    if repeated:
        raise Open311Error(400, *repeated)


# --- the routes -----------------------------------------------------------------------------


def _errors_doc(status: int, description: str) -> dict[str, Any]:
    payload = Open311Error(status, description).payload()
    return {
        "description": description,
        "model": list[ErrorItem],
        "content": {
            "application/json": {"example": payload},
            "text/xml": {"example": to_xml("errors", payload)},
        },
    }


def documented(root: str, example: object, model: Any, status: int = 200) -> dict[int | str, Any]:
    """The answer in both syntaxes, as OpenAPI examples rendered by the code that answers."""
    return {
        status: {
            "description": "JSON or XML, as the path's suffix asks",
            "model": model,
            "content": {
                "application/json": {"example": example},
                "text/xml": {"example": to_xml(root, example)},
            },
        },
        404: _errors_doc(404, "Not found (also: a format other than json or xml)"),
        400: _errors_doc(400, "The request cannot be fulfilled as sent"),
        405: {
            **_errors_doc(405, "A method this path does not serve"),
            "headers": {
                "Allow": {"description": "the methods it serves", "schema": {"type": "string"}}
            },
        },
    }


EXAMPLE_REQUEST = service_request(
    PublicRequest(
        tracking_id=EXAMPLE_TRACKING_ID,
        complaint_id=EXAMPLE_TOKEN,
        title="Jalan kabupaten rusak parah di Martapura",
        category="jalan-daerah",
        region_code="16.08",
        status=Status.DISPOSED_NOT_FOLLOWED_UP,
        description=EXAMPLE_FORM["description"],
        agency_id="pemkab-oku-timur",
        address=EXAMPLE_FORM["address_string"],
        latitude=-4.3236,
        longitude=104.3558,
        filed_at=datetime(2026, 11, 10, 2, 15, tzinfo=UTC),
        updated_at=datetime(2026, 11, 10, 2, 15, 1, tzinfo=UTC),
    )
)


def example(
    where: Callable[..., Any], value: str, description: str | None = None, **schema: Any
) -> Any:
    """A parameter whose example works in the OpenAPI docs' "Try it out"; `schema`: more of
    its JSON Schema (a format)."""
    return where(
        description=description,
        openapi_examples={"example": {"value": value}},
        json_schema_extra=schema or None,
    )


FormatParam = Annotated[Format, example(Path, "json", "the answer's syntax: json or xml")]
router = APIRouter(prefix="/open311/v2", route_class=Open311Route, tags=["Open311 GeoReport v2"])


@router.get(
    "/services.{fmt}",
    summary="GET Service List: one service per published category",
    responses=documented("services", [service(categories()["jalan-daerah"])], list[Service]),
)
async def service_list(fmt: FormatParam) -> Response:
    return render(fmt, "services", [service(c) for c in categories().values()])


@router.get(
    "/services/{service_code}.{fmt}",
    summary="GET Service Definition (no service has extra attributes)",
    responses=documented(
        "service_definition",
        {"service_code": "jalan-daerah", "attributes": []},
        ServiceDefinition,
    ),
)
async def service_definition(
    service_code: Annotated[str, example(Path, "jalan-daerah")],
    fmt: FormatParam,
) -> Response:
    if service_code not in categories():
        raise Open311Error(
            404, f"service_code {service_code!r} not found; GET services lists them."
        )
    return render(fmt, "service_definition", {"service_code": service_code, "attributes": []})


@router.post(
    "/requests.{fmt}",
    status_code=201,
    summary="POST Service Request: file a complaint (needs an api_key)",
    description="Form-encoded, as GeoReport v2 says. `region_code` is Pintu's required "
    "extension: it routes by region. The example works on a development instance.",
    responses={
        **documented(
            "service_requests",
            [
                RequestReceipt(
                    service_request_id=EXAMPLE_TRACKING_ID,
                    service_notice="Laporan diterima …",
                    token=EXAMPLE_TOKEN,
                ).model_dump()
            ],
            list[RequestReceipt],
            201,
        ),
        403: _errors_doc(403, "Invalid api_key received -- can't proceed with create_request."),
        413: _errors_doc(413, "The form is larger than intake accepts"),
        429: _errors_doc(429, "Too many filings from this client; retry after Retry-After"),
        503: _errors_doc(503, "Kafka unreachable: nothing recorded; retry after Retry-After"),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": form_schema(),
                    "examples": {
                        "spec": {
                            "summary": "The spec's example, in Indonesia",
                            "value": EXAMPLE_FORM,
                        }
                    },
                }
            },
        }
    },
)
async def create_request(
    fmt: FormatParam,
    filing: FilingDep,
    keys: Annotated[list[str], Depends(api_keys)],
    fields: Annotated[dict[str, str], Depends(form_fields)],
) -> Response:
    check_api_key(fields.get("api_key"), keys)
    submission = submission_from_form(fields)
    receipt = await filing.file(submission, idempotency_key=None, links=media_links(fields))
    _ = translations(OPEN311_LANGUAGE).gettext
    notice = _(
        "Report received with ticket number %(tracking_id)s and passed on to the agency "
        "responsible. Follow its status with this ticket number."
    ) % {"tracking_id": receipt.tracking_id}
    answer = RequestReceipt(
        service_request_id=receipt.tracking_id, service_notice=notice, token=receipt.complaint_id
    )
    return render(fmt, "service_requests", [answer.model_dump()], 201)


@router.get(
    "/requests.{fmt}",
    summary="GET Service Requests: newest first, at most 1000, rahasia never listed",
    description="Each filter is sent at most once (400 for one sent twice); where it takes "
    "several values, they go comma-separated in it. An end_date before start_date, or more "
    "than 90 days after it, is 400. Every filter is checked, even where service_request_id "
    "overrides it.",
    responses=documented("service_requests", [EXAMPLE_REQUEST], list[ServiceRequest]),
    dependencies=[Depends(each_filter_once)],
)
def request_list(
    fmt: FormatParam,
    store: ReadModelDep,
    service_request_id: Annotated[
        str | None,
        example(
            Query, EXAMPLE_TRACKING_ID, "tracking ids, comma-separated; overrides the other filters"
        ),
    ] = None,
    service_code: Annotated[
        str | None, example(Query, "jalan-daerah,jalan-provinsi", "comma-separated")
    ] = None,
    start_date: Annotated[
        str | None,
        example(
            Query,
            "2026-11-01T00:00:00+07:00",
            "the default: 90 days ago",
            **empty_or({"type": "string", "format": "date-time"}),
        ),
    ] = None,
    end_date: Annotated[
        str | None,
        example(
            Query,
            "2026-11-30T23:59:59+07:00",
            "at most 90 days after start",
            **empty_or({"type": "string", "format": "date-time"}),
        ),
    ] = None,
    status: Annotated[
        str | None,
        Query(
            description="open, closed or open,closed",
            openapi_examples={"example": {"value": "open"}},
            json_schema_extra={"pattern": STATUS_LIST},
        ),
    ] = None,
) -> Response:
    # Each filter's shape is checked even where service_request_id overrides it: a malformed
    # one is 400 either way, as the document's schema says.
    start_at, end_at = w3_datetime("start_date", start_date), w3_datetime("end_date", end_date)
    wanted = statuses(status)
    ids = comma_list(service_request_id)
    if ids:
        rows = store.public_requests(tracking_ids=ids[:MAX_REQUESTS], limit=MAX_REQUESTS)
    else:
        start, end = window(start_at, end_at)
        rows = store.public_requests(
            categories=comma_list(service_code),
            statuses=wanted,
            filed_from=start,
            filed_to=end,
            limit=MAX_REQUESTS,
        )
    return render(fmt, "service_requests", [service_request(r) for r in rows])


@router.get(
    "/requests/{service_request_id}.{fmt}",
    summary="GET Service Request: one, by its tracking id",
    responses=documented("service_requests", [EXAMPLE_REQUEST], list[ServiceRequest]),
)
def one_request(
    service_request_id: Annotated[str, example(Path, EXAMPLE_TRACKING_ID)],
    fmt: FormatParam,
    views: ComplaintViewsDep,
) -> Response:
    if not is_tracking_id(service_request_id):
        raise Open311Error(404, f"{service_request_id} is not a tracking id; check it for a typo.")
    found = views.public_request(service_request_id)
    if found is None:
        # A rahasia complaint answers the same: not even its existence is public.
        raise Open311Error(404, f"No service request {service_request_id}.")
    return render(fmt, "service_requests", [service_request(found)])


@router.get(
    "/tokens/{token}.{fmt}",
    summary="GET service_request_id from a token (the complaint id)",
    responses=documented(
        "service_requests",
        [TokenAnswer(service_request_id=EXAMPLE_TRACKING_ID, token=EXAMPLE_TOKEN).model_dump()],
        list[TokenAnswer],
    ),
)
def token(
    token: Annotated[str, example(Path, EXAMPLE_TOKEN, "the token: the complaint id")],
    fmt: FormatParam,
    views: ComplaintViewsDep,
) -> Response:
    try:
        complaint_id = str(UUID(token))
    except ValueError:
        raise Open311Error(404, f"{token} is not a Pintu token.") from None
    row = views.public_request_by_complaint_id(complaint_id)
    if row is None:
        raise Open311Error(404, f"No service request for token {token}.")
    answer = TokenAnswer(service_request_id=row.tracking_id, token=token)
    return render(fmt, "service_requests", [answer.model_dump()])
