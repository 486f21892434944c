"""Exports that people read, in the community's language: column names and vocabulary values as the UI writes them
(姓名, 电话, 状态 = 绿). JSON stays for machines, with English keys and codes, and so does an English export, whose
column names and codes are also the words `linli import residents` and the API use.

A Chinese export imports back: its column names and its status, monitoring and tag words are among the ones the
importer recognises (data/import_headers.toml, data/vocabulary.toml).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kit import ui_words

RESIDENT_VALUES = {"status": "status", "monitoring": "monitoring", "tags": "tag"}
REPORT_VALUES = {"channel": "channel", "kind": "intent"}
MESSAGE_VALUES = {"status": "message_status", "channel": "channel"}
TASK_VALUES = {"kind": "task_kind", "state": "task_state"}


@dataclass(frozen=True)
class Readable:
    """How one export reads in `language`: its header and the words for the values of some columns."""

    language: str
    values: Mapping[str, str] = field(default_factory=dict)  # column -> the UI words' table for its values

    def header(self, columns: Sequence[str]) -> list[str]:
        words = ui_words.table(self.language)
        return [words.get(f"export.{column}", column) for column in columns]

    def rows(self, rows: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
        words = ui_words.table(self.language)
        yes, no = words.get("yes", "yes"), words.get("no", "no")

        def said(prefix: str, value: Any) -> Any:
            if isinstance(value, (list, tuple)):
                return [said(prefix, item) for item in value]
            return words.get(f"{prefix}.{value}", value) if isinstance(value, str) and value else value

        for row in rows:
            shown = dict(row)
            for column, prefix in self.values.items():
                if column in shown:
                    shown[column] = said(prefix, shown[column])
            for column, value in shown.items():
                if isinstance(value, bool):
                    shown[column] = yes if value else no
            yield shown


def readable(language: str | None, values: Mapping[str, str], fmt: str) -> Readable | None:
    """The words for an export in `language`, or None when it keeps field names and codes (JSON, English)."""
    code = ui_words.base_language(language) if language else "en"
    if fmt == "json" or (language or "en").lower().startswith("en"):
        return None
    return Readable(code, values)
