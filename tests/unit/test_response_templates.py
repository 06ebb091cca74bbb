"""An agency's response templates on SQLite and PostgreSQL: offered by action and category,
and only ever the agency's own to change."""

import pytest
from sqlalchemy import Engine

from services.intake.responses import ResponseTemplates

OKU, BANDUNG = "pemkab-oku-timur", "pemkot-bandung"
BODY = "Tim kami sudah memperbaiki jalan yang Anda laporkan."


@pytest.fixture
def database(either_database: Engine) -> Engine:
    return either_database


@pytest.fixture
def templates(database: Engine) -> ResponseTemplates:
    return ResponseTemplates(database)


def test_a_complaint_is_offered_its_categorys_templates_and_the_general_ones(
    templates: ResponseTemplates,
) -> None:
    roads = templates.save(OKU, "resolution", "jalan-daerah", "Jalan diperbaiki", BODY, "o1")
    general = templates.save(OKU, "follow_up", None, "Sedang ditangani", BODY, "o1")
    templates.save(OKU, "resolution", "kesehatan", "Puskesmas", BODY, "o1")
    templates.save(BANDUNG, "resolution", "jalan-daerah", "Bandung's", BODY, "o2")
    assert templates.for_complaint(OKU, "jalan-daerah") == {
        "resolution": [roads],
        "follow_up": [general],
    }


def test_an_agency_changes_and_removes_only_its_own(templates: ResponseTemplates) -> None:
    theirs = templates.save(BANDUNG, "question", None, "Foto", BODY, "o2")
    templates.save(OKU, "question", None, "Diubah", "Bukan milik kami.", "o1", theirs.template_id)
    assert not templates.remove(OKU, theirs.template_id)
    assert templates.of(BANDUNG) == [theirs]
    changed = templates.save(
        BANDUNG, "question", None, "Foto jalan", BODY, "o2", theirs.template_id
    )
    assert templates.of(BANDUNG) == [changed]
    assert templates.remove(BANDUNG, theirs.template_id)
    assert templates.of(BANDUNG) == []
