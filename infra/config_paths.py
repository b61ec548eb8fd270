"""Field paths a person can follow: list items named, unknown keys matched to known ones.

``clusters[0].nodeCont`` says where; ``clusters[0](london).nodeCont: unknown key; did you
mean 'nodeCount'?`` says which cluster and what was meant.
"""

from __future__ import annotations

import difflib
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def with_item_names(path: str, raw: Any) -> str:
    """``path`` (``apps[2].service``) with each list item's ``name`` from the config the
    user wrote after its index: ``apps[2](blog).service``."""
    out: list[str] = []
    current: Any = raw
    for match in _TOKEN.finditer(path):
        key, index = match.groups()
        if index is None:
            out.append(("." if out else "") + key)
            current = current.get(key) if isinstance(current, dict) else None
            continue
        out.append(f"[{index}]")
        i = int(index)
        current = current[i] if isinstance(current, list) and i < len(current) else None
        name = current.get("name") if isinstance(current, dict) else None
        if isinstance(name, str) and name:
            out.append(f"({name})")
    return "".join(out)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models a field's annotation can hold: through Annotated, unions, lists, dicts."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is Annotated:
        return _models_in(args[0])
    if origin in (Union, types.UnionType, list, dict):
        return [m for arg in args for m in _models_in(arg)]
    return []


# The fields that pick a discriminated union's branch: clusters' and delivery's.
_TAG_FIELDS = ("provider", "via")


def _tag(model: type[BaseModel]) -> str | None:
    """The value a discriminated union's tag field fixes for this model."""
    field = next((model.model_fields[f] for f in _TAG_FIELDS if f in model.model_fields), None)
    if field is None or get_origin(field.annotation) is not Literal:
        return None
    (value,) = get_args(field.annotation)
    return str(value)


def known_keys(root: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys the models at pydantic error location ``loc`` (the parent of its last
    item) accept, by the names a stack file uses."""
    models = [root]
    for item in loc[:-1]:
        if isinstance(item, int):
            continue
        tagged = [m for m in models if _tag(m) == item]
        if tagged:
            models = tagged
            continue
        models = [
            inner
            for m in models
            for field in m.model_fields.values()
            if field.alias == item
            for inner in _models_in(field.annotation)
        ]
    return sorted(
        {f.alias or name for m in models for name, f in m.model_fields.items() if not f.exclude}
    )


def did_you_mean(word: str, choices: list[str]) -> str:
    """``"; did you mean 'x'?"`` for a close match, else nothing."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""
