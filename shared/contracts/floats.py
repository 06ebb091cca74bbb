"""Where an event's floats are, read from its declared fields instead of found by a walk.

Sealing an event (shared/contracts/chain.py) needs its canonical JSON, which orjson writes
as RFC 8785 does except for some floats and non-ASCII keys. A model's JSON has its field
names for keys and floats only in its float fields, so `floats_in(event)` gives those
floats for chain.canonical to check, rather than every member of the envelope being walked:
the router seals every event it appends. A model whose JSON its fields do not tell (a
custom serialiser, a free-form dict, Any) gives None: then the whole value is walked.
"""

import types
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any, Literal, TypeAlias, Union, get_args, get_origin
from uuid import UUID

from pydantic import BaseModel

# Adds the floats of a value (a model, a member) to a list.
Collect: TypeAlias = Callable[[Any, list[float]], None]

# What JSON writes as a string, a boolean, null or an integer (StrEnum and IntEnum are str
# and int); orjson refuses the integers JCS cannot spell.
_PLAIN = (str, int, type(None), datetime, date, UUID)


class _Unknown(Exception):
    """A field whose JSON its declaration does not tell."""


_UNKNOWN: set[type[BaseModel]] = set()  # models found to be _Unknown, not asked again


def floats_in(event: BaseModel) -> list[float] | None:
    """Every float in `event`'s JSON, or None when its fields do not tell."""
    model = type(event)
    if model in _UNKNOWN:
        return None
    try:
        collect = _collector(model)
    except _Unknown:
        _UNKNOWN.add(model)
        return None
    found: list[float] = []
    if collect is not None:
        collect(event, found)
    return found


@cache
def _collector(model: type[BaseModel]) -> Collect | None:
    """How to collect the floats of a `model`; None: it has none; _Unknown: it cannot say."""
    decorators = model.__pydantic_decorators__
    if decorators.field_serializers or decorators.model_serializers or decorators.computed_fields:
        raise _Unknown(model.__name__)
    members: list[tuple[str, Collect]] = []
    for name, field in model.model_fields.items():
        if not (name.isascii() and (field.serialization_alias or name).isascii()):
            raise _Unknown(name)  # JCS and orjson can sort such keys differently
        collect = _member(field.annotation)
        if collect is not None:
            members.append((name, collect))
    if not members:
        return None

    def collect_model(value: Any, found: list[float]) -> None:
        for name, member in members:
            member(getattr(value, name), found)

    return collect_model


def _member(annotation: Any) -> Collect | None:
    """How to collect the floats of a member so declared; None: it holds none."""
    origin = get_origin(annotation)
    if annotation is float:
        return _float
    if origin is Literal:
        if all(isinstance(arg, _PLAIN) for arg in get_args(annotation)):
            return None
    elif origin in (Union, types.UnionType):  # `X | None`, mostly
        kept = [c for c in map(_member, get_args(annotation)) if c is not None]
        if len(kept) <= 1:
            return _unless_none(kept[0]) if kept else None
    elif origin in (tuple, list):  # `tuple[X, ...]`, `list[X]`
        args = [arg for arg in get_args(annotation) if arg is not Ellipsis]
        if len(set(args)) == 1:
            item = _member(args[0])
            return None if item is None else _items(item)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _collector(annotation)
    elif isinstance(annotation, type) and issubclass(annotation, _PLAIN):
        return None
    raise _Unknown(annotation)


def _float(value: Any, found: list[float]) -> None:
    if value is not None:
        found.append(value)


def _unless_none(collect: Collect) -> Collect:
    def unless_none(value: Any, found: list[float]) -> None:
        if value is not None:
            collect(value, found)

    return unless_none


def _items(collect: Collect) -> Collect:
    def items(value: Any, found: list[float]) -> None:
        for item in value:
            collect(item, found)

    return items
