"""Who gets a notice: the audience as people type it (grids, tags, health statuses, monitoring categories,
languages), normalised, stored as JSON and described in words. Nothing picked means everybody."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kit.errors import ValidationError
from kit.vocabulary import normalize_language, normalize_monitoring, normalize_status, parse_tags


@dataclass(frozen=True)
class Audience:
    """Who a notice goes to. Values within one field are alternatives (grid A or grid B); fields narrow each
    other (grid A and tag elderly-alone). An empty audience is everybody."""

    grids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    monitoring: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        *,
        grids: Iterable[str] = (),
        tags: Iterable[str] = (),
        statuses: Iterable[str] = (),
        monitoring: Iterable[str] = (),
        languages: Iterable[str] = (),
    ) -> Audience:
        """An audience from values as people type them ('独居老人', 'RED', '居家隔离', '中文'), normalised and
        sorted so that the same audience always has the same JSON. Unknown statuses and categories are refused."""
        return cls(
            grids=_sorted(" ".join(g.split()) for g in grids),
            tags=_sorted(tag for raw in tags for tag in parse_tags(raw)),
            statuses=_sorted(_required(normalize_status(s), s, "status") for s in statuses),
            monitoring=_sorted(_required(normalize_monitoring(m), m, "monitoring") for m in monitoring),
            languages=_sorted(_required(normalize_language(code), code, "language") for code in languages),
        )

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Audience:
        unknown = set(raw) - {"grids", "tags", "statuses", "monitoring", "languages"}
        if unknown:
            raise ValidationError(f"Unknown audience field(s): {', '.join(sorted(unknown))}.", field="audience")
        return cls.of(**{name: [values] if isinstance(values, str) else list(values) for name, values in raw.items()})

    @classmethod
    def from_json(cls, text: str) -> Audience:
        """The audience as stored with a notice (already normalised: taken as it is)."""
        raw = json.loads(text or "{}")
        return cls(**{name: tuple(values) for name, values in raw.items()})

    def as_dict(self) -> dict[str, list[str]]:
        """Only the fields that narrow the audience: everybody is {}."""
        return {
            name: list(values)
            for name, values in (
                ("grids", self.grids),
                ("tags", self.tags),
                ("statuses", self.statuses),
                ("monitoring", self.monitoring),
                ("languages", self.languages),
            )
            if values
        }

    def as_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @property
    def is_everybody(self) -> bool:
        return not self.as_dict()

    def describe(self) -> str:
        """'everybody', or 'grid 第1网格 or 第2网格; tag elderly-alone; status red'."""
        if self.is_everybody:
            return "everybody"
        words = {
            "grids": "grid",
            "tags": "tag",
            "statuses": "status",
            "monitoring": "monitoring",
            "languages": "language",
        }
        return "; ".join(f"{words[name]} {' or '.join(values)}" for name, values in self.as_dict().items())


def _sorted(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({value for value in values if value}))


def _required(value: str | None, raw: str, what: str) -> str:
    if value is None:
        raise ValidationError(f"Give a {what}, not an empty value.", field=what)
    return value
