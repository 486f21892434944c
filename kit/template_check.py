"""Checking a template gateway before a community relies on it, and the sheet to apply for its templates.

`check(gateway, languages)` names everything that would stop a message: a kind with no approved template, a
parameter the register (or nothing at all) keeps within the provider's limit, a mobile number or a link in a
template the provider forbids; and gives each template's SMS segments with the signature. `export_rows` is the
sheet an operator pastes into the provider's console to apply for approval.

Decisions
- Notice templates (notice_*) are optional: a community applies for the ones it needs; the check lists the
  unmapped ones as notes, not problems.
- Of a kind and its variant without the mobile number (kit.message_kinds.WITHOUT_PHONE), a gateway needs the one
  it will be sent: the variant when the provider forbids numbers, else the kind itself.
- Names and addresses are measured in the register (residents, volunteers, sign-ups): a parameter is a problem
  when a value there is already too long, since kit.template_mode refuses it at queue time. Free text that is cut
  to fit (CUT_TO_FIT) is a note.
- Segments are counted for the shortest and the longest text (every parameter at the provider's limit).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import peewee

from kit import ui_words
from kit.message_kinds import CUT_TO_FIT, PHONE_PARAMS, WITHOUT_PHONE, MessageKind, kinds, max_chars
from kit.models import Household, Resident, Volunteer, format_address
from kit.segments import analyze
from kit.template_mode import TemplateGateway
from kit.volunteer_models import VolunteerSignup

MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)|\+\d{8,15}")
LINK = re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|cn|net|org|top|xyz|io)\b", re.IGNORECASE)
ADJACENT = re.compile(r"\{\w+\}\{\w+\}")  # two placeholders with nothing between them


@dataclass(frozen=True)
class Finding:
    """What stops (or may stop) messages of `kind` in `language`: `what` is the key of its words in
    [cli.templates.finding], with their `values`."""

    kind: str
    language: str
    what: str
    values: Mapping[str, object] = field(default_factory=dict)
    problem: bool = True  # False: a note (handled at queue time, or optional)

    @property
    def line(self) -> str:
        """The finding in the reader's language, e.g. "ack_fever (zh): no template id in templates-ali.toml"."""
        what = ui_words.say(f"cli.templates.finding.{self.what}", **self.values)
        return ui_words.say("cli.templates.finding.line", kind=self.kind, lang=self.language, what=what)


@dataclass(frozen=True)
class KindRow:
    kind: str
    language: str
    template_id: str | None
    segments: tuple[int, int]  # with the signature: the shortest and the longest text


@dataclass(frozen=True)
class CheckReport:
    gateway: str
    rows: list[KindRow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def problems(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def kinds_for(gateway: TemplateGateway) -> list[MessageKind]:
    """The kinds `gateway` sends: every kind, with the variant without a mobile number where the provider needs it."""
    forbids = gateway.limits.forbids_mobile_numbers
    skipped = set(WITHOUT_PHONE) if forbids else set(WITHOUT_PHONE.values())
    return [kind for kind in kinds() if kind.name not in skipped]


def register_lengths() -> dict[str, int]:
    """The longest name and address in the register, for the parameters that carry them."""
    longest = peewee.fn.MAX(peewee.fn.LENGTH(Resident.name))
    names = [
        Resident.select(longest).scalar() or 0,
        Volunteer.select(peewee.fn.MAX(peewee.fn.LENGTH(Volunteer.name))).scalar() or 0,
        VolunteerSignup.select(peewee.fn.MAX(peewee.fn.LENGTH(VolunteerSignup.name))).scalar() or 0,
    ]
    parts = Household.select(Household.building, Household.unit, Household.room).distinct().tuples()
    address = max((len(format_address(b or "", u or "", r or "")) for b, u, r in parts), default=0)
    return {"name": max(names), "address": address}


def check(gateway: TemplateGateway, languages: list[str]) -> CheckReport:
    report = CheckReport(gateway.name)
    measured = register_lengths()
    for kind in kinds_for(gateway):
        for language in languages:
            report.rows.append(_row(gateway, kind, language))
            report.findings.extend(_findings(gateway, kind, language, measured))
    return report


def _row(gateway: TemplateGateway, kind: MessageKind, language: str) -> KindRow:
    text = kind.text(language)
    names = kind.parameters(language)
    shortest = gateway.signed(text.format(**dict.fromkeys(names, "")))
    limit = gateway.limits.max_param_chars
    longest = gateway.signed(text.format(**{name: "字" * min(max_chars(name) or limit, limit) for name in names}))
    segments = (analyze(shortest).segments, analyze(longest).segments)
    return KindRow(kind.name, language, gateway.templates.template_id(kind.name, language), segments)


def _findings(gateway: TemplateGateway, kind: MessageKind, language: str, measured: dict[str, int]) -> list[Finding]:
    found: list[Finding] = []
    name, limits = kind.name, gateway.limits
    if gateway.templates.template_id(name, language) is None:
        if kind.is_notice:
            found.append(Finding(name, language, "not_mapped_notice", problem=False))
        elif gateway.templates_path:
            found.append(Finding(name, language, "no_template", {"where": gateway.templates_path}))
        else:
            found.append(Finding(name, language, "no_template_not_set", {"gateway": gateway.name}))
    text = kind.text(language)
    provider = {"provider": gateway.kind}
    if limits.forbids_mobile_numbers and (MOBILE.search(text) or PHONE_PARAMS & set(kind.parameters(language))):
        found.append(Finding(name, language, "mobile", provider))
    if limits.forbids_links and LINK.search(text):
        found.append(Finding(name, language, "link", provider))
    side_by_side = ADJACENT.search(text)
    if limits.forbids_adjacent_params and side_by_side:
        found.append(Finding(name, language, "adjacent", {**provider, "pair": side_by_side.group(0), "lang": language}))
    for parameter in kind.parameters(language):
        found.extend(_parameter(gateway, kind, language, parameter, measured))
    return found


def _parameter(
    gateway: TemplateGateway, kind: MessageKind, language: str, parameter: str, measured: dict[str, int]
) -> list[Finding]:
    limit, name = gateway.limits.max_param_chars, kind.name
    bound = max_chars(parameter)
    if bound is not None and bound <= limit:
        return []
    values: dict[str, object] = {"parameter": parameter, "limit": limit}
    if parameter in CUT_TO_FIT:
        return [Finding(name, language, "cut", values, problem=False)]
    if kind.is_notice:
        return [Finding(name, language, "notice_too_long", values, problem=False)]
    if parameter in measured:
        longest = measured[parameter]
        if longest <= limit:
            return [Finding(name, language, "register_fits", {**values, "longest": longest}, problem=False)]
        return [Finding(name, language, "register_too_long", {**values, "longest": longest})]
    return [Finding(name, language, "can_exceed", values)]


def placeholders(kind: MessageKind, language: str, numbered: bool) -> str:
    """The kind's text with its parameters as the provider writes variables: ${name}, or {1} {2} in order."""
    names = kind.parameters(language)
    marks = {name: f"{{{index}}}" if numbered else f"${{{name}}}" for index, name in enumerate(names, 1)}
    return kind.text(language).format(**marks)


def export_rows(gateway: TemplateGateway, language: str) -> list[dict[str, str]]:
    """One row per kind `gateway` sends: kind, suggested template text, its variables in order, purpose."""
    numbered = gateway.kind == "tencent"  # Tencent Cloud numbers its variables; Alibaba Cloud names them
    return [
        {
            "kind": kind.name,
            "text": placeholders(kind, language, numbered),
            "variables": ", ".join(kind.parameters(language)),
            "purpose": kind.purpose(language),
        }
        for kind in kinds_for(gateway)
    ]
