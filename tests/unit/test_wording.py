"""The wording catalogs: every sentence the code writes has its Bahasa Indonesia and English,
and times a person reads are in WIB, named as such."""

import copy
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jinja2 import DictLoader

from dev.demo import due
from dev.wording import extracted
from shared.domain.complaint import Status
from shared.wording import format_wib, stage_name, status_label, translations
from shared.wording.catalog import LANGUAGES, catalog, key, untranslated
from shared.wording.templates import environment


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_either_catalog_is_translated_in_each(language: str) -> None:
    assert untranslated(language) == []


def test_a_missing_or_blank_english_translation_is_named() -> None:
    english = copy.deepcopy(catalog("en"))
    english.delete("Report received")
    blanked = english.get("The reporter replied.")
    assert blanked is not None
    blanked.string = ""
    catalogs = {"id": catalog("id"), "en": english}
    assert untranslated("en", catalogs) == ["Report received", "The reporter replied."]
    assert untranslated("id", catalogs) == []


def test_a_missing_stage_name_is_named_with_its_context() -> None:
    indonesian = copy.deepcopy(catalog("id"))
    indonesian.delete("completion", context="stage")
    assert untranslated("id", {"id": indonesian, "en": catalog("en")}) == ["stage|completion"]


def test_every_sentence_in_the_sources_is_in_both_catalogs() -> None:
    found = extracted()
    assert ("stage", "first follow-up") in found  # the extraction sees Python ...
    assert (None, "Dear %(agency)s,") in found  # ... and the templates' {% trans %}
    assert (None, "%(stage)s due by %(date)s") in found  # ... and their _()
    for language in LANGUAGES:
        lacking = [
            f"{key(context, msgid)} ({', '.join(places)})"
            for (context, msgid), places in found.items()
            if catalog(language).get(msgid, context=context) is None
        ]
        assert lacking == [], f"not in the {language} catalog; run `python -m dev wording`"


def test_the_extraction_catches_a_new_sentence(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "services" / "x" / "templates").mkdir(parents=True)
    (tmp_path / "shared" / "a.py").write_text('_ = str\n_("A brand new sentence")\n')
    (tmp_path / "services" / "x" / "templates" / "b.txt").write_text(
        "{% trans %}Hello {{ name }}{% endtrans %}\n"
    )
    assert set(extracted(tmp_path)) == {(None, "A brand new sentence"), (None, "Hello %(name)s")}


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_translation_keeps_the_placeholders_of_its_sentence(language: str) -> None:
    problems = [(key(m.context, str(m.id)), e) for m, e in catalog(language).check()]
    assert problems == []


def test_a_reader_of_another_language_reads_bahasa_indonesia() -> None:
    assert translations("fr").gettext("Report received") == "Laporan diterima"
    assert status_label(Status.UNVERIFIED, "fr") == "Belum Terverifikasi"
    assert stage_name("first_follow_up", "en") == "first follow-up"
    assert stage_name("some_new_stage", "id") == "some_new_stage"  # a code as it is


def test_a_moment_is_told_in_wib_and_says_so() -> None:
    due = datetime(2026, 12, 9, 16, 59, 59, tzinfo=UTC)  # 23:59:59 in Jakarta
    assert format_wib(due, "id") == "9 Desember 2026 pukul 23.59 WIB"
    assert format_wib(due, "en") == "9 December 2026, 23:59 WIB"
    assert format_wib(due, "fr") == "9 Desember 2026 pukul 23.59 WIB"


def test_a_template_writes_in_the_language_it_was_made_for() -> None:
    loader = DictLoader({"t.txt": "{% trans %}Dear {{ agency }},{% endtrans %}"})
    assert environment(loader, "id").get_template("t.txt").render(agency="X") == "Yth. X,"
    assert environment(loader, "en").get_template("t.txt").render(agency="X") == "Dear X,"


def test_the_demo_shows_the_inboxs_utc_deadline_in_wib() -> None:
    assert due("2026-11-27T16:59:59Z") == "27 November 2026, 23:59 WIB"
    assert due("2026-11-27T23:59:59+07:00") == "27 November 2026, 23:59 WIB"
    assert due(None) == "-"
