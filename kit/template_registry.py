"""Which approved provider template sends each kind of message, and what a template provider allows.

A template gateway (Tencent Cloud, Alibaba Cloud) sends no text of Linli's own: it sends the id of a template the
provider approved, and the message's parameters. `[gateways.NAME] templates = "path/templates.toml"` names the map,
one table per language:

    [zh]
    checkin = "1234567"
    reminder = "1234568"

Decisions
- The map is read as written; which kinds it should hold is kit.message_kinds' business, and `linli templates
  check` compares the two. An id written as a number (Tencent's ids are digits) is read as its text.
- What each provider allows lives here, keyed by gateway kind (PROVIDER_LIMITS), because kit refuses at queue time
  what the gateway could not send, and kit does not import the gateway modules. A [gateways.NAME] table may tighten
  or loosen them (`max_param_chars`, `forbids_mobile_numbers`, `forbids_links`): an account's limits are agreed
  with the provider.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kit.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


@dataclass(frozen=True)
class TemplateLimits:
    """What a template provider accepts: the longest value of one parameter, and what a template may not hold."""

    max_param_chars: int = 35
    forbids_mobile_numbers: bool = False
    forbids_links: bool = False
    forbids_adjacent_params: bool = False  # two variables side by side ({date}{place}) are refused at approval


# Gateway kinds that send only approved templates, with what each provider allows by default.
PROVIDER_LIMITS: dict[str, TemplateLimits] = {
    "aliyun": TemplateLimits(max_param_chars=35, forbids_mobile_numbers=True, forbids_links=True),
    # Tencent: 12 characters a variable for an account verified as a person (an organisation's limits are set in its
    # console: set max_param_chars in [gateways.NAME]), and never two variables side by side.
    "tencent": TemplateLimits(
        max_param_chars=35, forbids_mobile_numbers=True, forbids_links=True, forbids_adjacent_params=True
    ),
}

LIMIT_KEYS = ("max_param_chars", "forbids_mobile_numbers", "forbids_links", "forbids_adjacent_params")


def sends_only_templates(gateway_kind: str) -> bool:
    return gateway_kind in PROVIDER_LIMITS


def limits_for(gateway_kind: str, options: Mapping[str, Any] | None = None) -> TemplateLimits:
    """The limits of a gateway of `gateway_kind`, with any of LIMIT_KEYS its [gateways.NAME] table sets."""
    base = PROVIDER_LIMITS.get(gateway_kind, TemplateLimits())
    options = options or {}
    try:
        chars = int(options.get("max_param_chars", base.max_param_chars))
    except (TypeError, ValueError):
        raise ConfigError("templates.max_param_chars_not_number", value=options["max_param_chars"]) from None
    if chars < 1:
        raise ConfigError("templates.max_param_chars_too_small", value=chars)
    return TemplateLimits(
        max_param_chars=chars,
        forbids_mobile_numbers=bool(options.get("forbids_mobile_numbers", base.forbids_mobile_numbers)),
        forbids_links=bool(options.get("forbids_links", base.forbids_links)),
        forbids_adjacent_params=bool(options.get("forbids_adjacent_params", base.forbids_adjacent_params)),
    )


@dataclass(frozen=True)
class TemplateMap:
    """language -> kind -> the provider's template id, as read from a templates file."""

    ids: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    path: str = ""

    def template_id(self, kind: str, language: str) -> str | None:
        """The approved template for `kind` in `language`, or None when the map has none."""
        return self.ids.get(language, {}).get(kind)

    def languages(self) -> list[str]:
        return list(self.ids)

    def kinds(self, language: str) -> list[str]:
        return list(self.ids.get(language, {}))


def load_template_map(path: str | Path) -> TemplateMap:
    """Read a templates file (one table per language, kind = "template id"). Raises ConfigError saying what to fix."""
    file = Path(path).expanduser()
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("templates.no_file", file=file) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError("templates.not_toml", file=file, reason=str(error)) from None
    ids: dict[str, dict[str, str]] = {}
    for language, table in raw.items():
        if not isinstance(table, dict):
            raise ConfigError("templates.not_a_table", file=file, lang=language, value=table)
        ids[language] = {}
        for kind, value in table.items():
            if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
                raise ConfigError("templates.not_an_id", file=file, lang=language, kind=kind)
            ids[language][kind] = str(value).strip()
    return TemplateMap(ids=ids, path=str(file))
