"""The kinds of message Linli sends, each with its declared parameters: a message is (kind, language, parameters).

Its text is rendered only at the edge: a free-text gateway sends the local text of data/templates filled with the
parameters, a template gateway (kit.template_mode) sends the provider's approved template and the parameters.

Decisions
- A kind's parameters ARE the {placeholders} of its text in data/templates, per language: nothing to keep in step
  by hand. Every top-level text there is a kind, but the alerts (alert_*, read by operators) and the voice prompts
  (VOICE_ONLY).
- Notice templates are kinds named notice_*: approved broadcasts an organizer fills in (`linli notice send
  --template`).
- A kind that carries a resident's mobile number names its variant without it (WITHOUT_PHONE): a provider that
  forbids mobile numbers in templates gets the variant, and the volunteer replies or reads the printed sheet.
- How long a parameter can get is declared here (BOUNDED: ids, times, counts). Free text a volunteer can read in
  full elsewhere (the need, a list of names) is cut to the provider's limit with "…" (CUT_TO_FIT); anything else
  longer than the limit (a name, an address: a cut one could send somebody to the wrong door) is refused.
- The outbox row stores the kind and parameters as JSON (`encode` / `decode`): the row's own `kind` stays the
  coarse one the rest of the kit counts by (reply, task, volunteer).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from string import Formatter

from kit.errors import ConfigError, ValidationError
from kit.templates import FALLBACK, keys, languages, text

VOICE_ONLY = frozenset({"checkin_call"})
NOTICE_PREFIX = "notice_"
PHONE_PARAMS = frozenset({"phone"})
WITHOUT_PHONE = {"task_for_volunteer": "task_for_volunteer_nophone"}
# The most characters a parameter can carry, where Linli makes the value itself.
BOUNDED = {"task": 8, "minutes": 4, "points": 5, "temperature": 5, "deadline": 5, "kind": 8, "phone": 16}
CUT_TO_FIT = frozenset({"need", "why", "what", "names", "tasks", "example"})
ELLIPSIS = "…"


def parameters_of(template: str) -> tuple[str, ...]:
    """The names of the {placeholders} of `template`, each once, in order."""
    names: list[str] = []
    for _, field_name, _, _ in Formatter().parse(template):
        if field_name and field_name not in names:
            names.append(field_name)
    return tuple(names)


@dataclass(frozen=True)
class MessageKind:
    name: str

    def text(self, language: str) -> str:
        return text(self.name, language)

    def parameters(self, language: str) -> tuple[str, ...]:
        return parameters_of(self.text(language))

    def all_parameters(self) -> tuple[str, ...]:
        """Every language's parameters, each once."""
        found: list[str] = []
        for language in languages():
            found += [name for name in self.parameters(language) if name not in found]
        return tuple(found)

    @property
    def is_notice(self) -> bool:
        return self.name.startswith(NOTICE_PREFIX)

    @property
    def without_phone(self) -> str | None:
        return WITHOUT_PHONE.get(self.name)

    def purpose(self, language: str) -> str:
        """What the message is for, for the provider's reviewers ([purposes] of data/templates)."""
        try:
            return text(self.name, language, "purposes")
        except ConfigError:  # no purpose written for this kind: the sheet leaves it for the operator
            return ""


def kind_names() -> list[str]:
    """Every kind, in the order of the community's default language's file (then any only in other files)."""
    names: list[str] = []
    for language in [FALLBACK, *(code for code in languages() if code != FALLBACK)]:
        names += [key for key in keys(language) if key not in names]
    return [name for name in names if not name.startswith("alert_") and name not in VOICE_ONLY]


def kinds() -> list[MessageKind]:
    return [MessageKind(name) for name in kind_names()]


def is_kind(name: str) -> bool:
    return name in kind_names()


def get_kind(name: str) -> MessageKind:
    if not is_kind(name):
        raise ValidationError("templates.no_kind", name=name, field="kind")
    return MessageKind(name)


def notice_kinds() -> list[MessageKind]:
    return [kind for kind in kinds() if kind.is_notice]


def max_chars(parameter: str) -> int | None:
    """The most characters `parameter` can carry, or None when nothing bounds it (a name, an address)."""
    return BOUNDED.get(parameter)


def cut(value: str, limit: int) -> str:
    """`value` cut to `limit` characters, ending with "…" when it was cut."""
    return value if len(value) <= limit else value[: max(limit - 1, 0)] + ELLIPSIS


def stringify(values: Mapping[str, object]) -> dict[str, str]:
    """Parameter values as the texts they render as."""
    return {name: str(value) for name, value in values.items()}


def encode(kind: str, params: Mapping[str, object]) -> str:
    """The outbox row's `params`: the message's kind and parameters, as JSON."""
    return json.dumps({"kind": kind, "params": stringify(params)}, ensure_ascii=False, sort_keys=True)


def decode(stored: str | None) -> tuple[str, dict[str, str]]:
    """The kind ("" when none was stored) and parameters of an outbox row's `params`."""
    if not stored:
        return "", {}
    loaded = json.loads(stored)
    return str(loaded.get("kind", "")), stringify(loaded.get("params", {}))


def ordered(kind: str, language: str, params: Mapping[str, str]) -> list[str]:
    """The values of `params` in the order the kind's text names them: what a provider that numbers its variables
    ({1} {2}, Tencent Cloud's TemplateParamSet) expects. A parameter not given is empty."""
    return [params.get(name, "") for name in MessageKind(kind).parameters(language)]
