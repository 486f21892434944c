"""Who is asked or told: the one audience type of check-in rounds and notices.

A notice's audience is picked field by field (grids, tags, health statuses, monitoring categories, languages),
normalised, stored as JSON and described in words. A check-in round's audience is typed as text (`all`,
`monitored`, `grid:NAME`, `tag:NAME`: `Audience.parse`) and stored in that form (`Audience.as_text`). Both pick
their residents with `residents_in`, and both refuse an unknown grid with the same error (`grid_ids`).

Decisions
- "monitored" is a flag, not a list of categories: it means under any monitoring on the day (not none, not
  recovered, not past its end), which a notice's `monitoring` categories cannot say.
- The text form of a tag audience keeps the first tag named, as check-in rounds always have: the stored round
  audience strings stay what they were.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import peewee

from kit import ui_words
from kit.clock import utcnow
from kit.community import community_zone
from kit.errors import ValidationError
from kit.localtime import local_date
from kit.models import Grid, Resident, ResidentTag
from kit.vocabulary import normalize_language, normalize_monitoring, normalize_status, parse_tags

_EMPTY = {  # the refusal of an empty value, by field
    "status": "audience.empty_status",
    "monitoring": "audience.empty_monitoring",
    "language": "audience.empty_language",
}
_LISTS = ("grids", "tags", "statuses", "monitoring", "languages")


@dataclass(frozen=True)
class Audience:
    """Who a notice or a round goes to. Values within one field are alternatives (grid A or grid B); fields narrow
    each other (grid A and tag elderly-alone). An empty audience is everybody."""

    grids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    monitoring: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    monitored: bool = False  # under any monitoring on the day

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
    def parse(cls, text: str) -> Audience:
        """A check-in audience as typed: 'all', 'monitored', 'grid:第1网格', 'tag:独居老人' (any case and spacing)."""
        kind, _, value = " ".join(text.split()).partition(":")
        kind, value = kind.strip().lower(), value.strip()
        if kind == "all" and not value:
            return cls()
        if kind == "monitored" and not value:
            return cls(monitored=True)
        if kind == "grid" and value:
            return cls(grids=(value,))
        if kind == "tag" and value:
            tags = parse_tags(value)
            if not tags:
                raise ValidationError("audience.not_a_tag", field="audience", value=value)
            return cls(tags=(tags[0],))
        raise ValidationError("audience.not_a_text_form", field="audience", text=text)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Audience:
        unknown = set(raw) - {*_LISTS, "monitored"}
        if unknown:
            raise ValidationError("audience.unknown_fields", field="audience", names=", ".join(sorted(unknown)))
        lists = {
            name: [values] if isinstance(values, str) else list(values)
            for name, values in raw.items()
            if name != "monitored"
        }
        return replace(cls.of(**lists), monitored=bool(raw.get("monitored")))

    @classmethod
    def from_json(cls, text: str) -> Audience:
        """The audience as stored with a notice (already normalised: taken as it is)."""
        raw = json.loads(text or "{}")
        return cls(
            **{name: tuple(values) for name, values in raw.items() if name != "monitored"},
            monitored=bool(raw.get("monitored")),
        )

    def as_dict(self) -> dict[str, Any]:
        """Only the fields that narrow the audience: everybody is {}."""
        fields: dict[str, Any] = {name: list(getattr(self, name)) for name in _LISTS if getattr(self, name)}
        if self.monitored:
            fields["monitored"] = True
        return fields

    def as_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def as_text(self) -> str:
        """The check-in form ('all', 'monitored', 'grid:NAME', 'tag:NAME'), as rounds store it."""
        fields = self.as_dict()
        if not fields:
            return "all"
        if fields == {"monitored": True}:
            return "monitored"
        if set(fields) == {"grids"} and len(self.grids) == 1:
            return f"grid:{self.grids[0]}"
        if set(fields) == {"tags"} and len(self.tags) == 1:
            return f"tag:{self.tags[0]}"
        raise ValidationError("audience.not_a_round_audience", audience=self.describe)

    @property
    def is_everybody(self) -> bool:
        return not self.as_dict()

    def describe(self, language: str | None = None) -> str:
        """'everybody', or 'grid 第1网格 or 第2网格; tag living alone; status RED', in `language` (default: the
        reader's): tags, statuses and monitoring categories in its words, grids by their names."""
        language = language or ui_words.current()

        def words(key: str, **values: object) -> str:
            return ui_words.text(language, f"cli.audience.{key}", **values)

        def shown(name: str, value: str) -> str:
            key = f"{_VALUE_WORDS.get(name, '')}.{value}"
            return ui_words.text(language, key) if name in _VALUE_WORDS and ui_words.has(key) else value

        if self.is_everybody:
            return words("everybody")
        parts = [
            words(name, values=words("or").join(shown(name, value) for value in values))
            for name, values in self.as_dict().items()
            if name != "monitored"
        ]
        return words("separator").join(([words("monitored")] if self.monitored else []) + parts)


_VALUE_WORDS = {"tags": "tag", "statuses": "status", "monitoring": "monitoring"}  # the data/ui table of their words


def grid_ids(names: Iterable[str]) -> list[int]:
    """The ids of the grids named; ValidationError naming the unknown ones and the grids there are."""
    wanted = list(names)
    known = dict(Grid.select(Grid.name, Grid.id).where(Grid.name.in_(wanted)).tuples())
    missing = [name for name in wanted if name not in known]
    if missing:
        grids = [name for (name,) in Grid.select(Grid.name).order_by(Grid.name).limit(20).tuples()]
        if not grids:
            raise ValidationError("audience.no_grid_yet", field="grid", missing=", ".join(missing))
        raise ValidationError("audience.no_grid", field="grid", missing=", ".join(missing), grids=", ".join(grids))
    return [known[name] for name in wanted]


def monitored_condition(day: date) -> peewee.Expression:
    """The residents under monitoring on `day` (any category but none and recovered, not past its end)."""
    return Resident.monitoring.not_in(["none", "recovered"]) & (
        Resident.monitoring_until.is_null() | (Resident.monitoring_until >= day)
    )


def residents_in(audience: Audience, day: date | None = None) -> peewee.Expression | None:
    """The condition on `Resident` that picks `audience` on `day` (default: today; None: everybody). Moved-out
    residents are the caller's to leave out (`kit.retention.still_here`)."""
    conditions: list[peewee.Expression] = []
    if audience.grids:
        ids = grid_ids(audience.grids)
        conditions.append(Resident.grid == ids[0] if len(ids) == 1 else Resident.grid.in_(ids))
    if audience.tags:
        tags = list(audience.tags)
        conditions.append(Resident.id.in_(ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag.in_(tags))))
    if audience.statuses:
        conditions.append(Resident.status.in_(list(audience.statuses)))
    if audience.monitoring:
        conditions.append(Resident.monitoring.in_(list(audience.monitoring)))
    if audience.languages:
        conditions.append(Resident.language.in_(list(audience.languages)))
    if audience.monitored:
        conditions.append(monitored_condition(day or local_date(utcnow(), community_zone())))
    if not conditions:
        return None
    condition = conditions[0]
    for more in conditions[1:]:
        condition &= more
    return condition


def _sorted(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({value for value in values if value}))


def _required(value: str | None, raw: str, what: str) -> str:
    if value is None:
        raise ValidationError(_EMPTY[what], field=what)
    return value
