"""Notices from approved templates: what a community whose SMS gateway sends only templates can broadcast.

An organizer picks a notice kind (notice_* in data/templates, kit.message_kinds) and gives its parameters
(date=12月1日, place=3号楼); the text in each of the community's languages is rendered from them, and a template
gateway sends the approved template with the same parameters.

Decisions
- A parameter too long for a provider, a missing or unknown one, or a kind the provider has no approved template
  for, is refused here with a line saying what to change, before the preview: nothing is ever half-sent.
- In template-only mode free text is refused for the SMS channel (voice calls still read any text).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kit.errors import ValidationError
from kit.message_kinds import encode, get_kind, notice_kinds
from kit.models import Community
from kit.template_mode import TemplateRefused, template_gateways, template_only
from kit.templates import FALLBACK, render


@dataclass(frozen=True)
class TemplatedNotice:
    """A notice composed from an approved template: the organizer's text, one per other language, and the values."""

    template: str
    params: dict[str, str]
    body: str
    bodies: dict[str, str] = field(default_factory=dict)

    @property
    def stored(self) -> str:
        """What each SMS row keeps for a template gateway (kit.message_kinds.encode)."""
        return encode(self.template, self.params)

    def signed(self) -> list[tuple[str, str]]:
        """(gateway, the exact text a resident reads with the signature) for each template gateway."""
        return [(gateway.name, gateway.signed(self.body)) for gateway in template_gateways()]


def parse_params(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`name=value` pairs as typed after --param."""
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValidationError("notices.param_not_pair", pair=pair, field="param")
        params[name.strip()] = value.strip()
    return params


def compose(template: str, params: Mapping[str, str]) -> TemplatedNotice:
    """The notice `template` filled with `params` in the community's languages; refused with a clear line when a
    parameter is missing, unknown or too long, or a template gateway has no approved template for it."""
    kind = get_kind(template)
    if not kind.is_notice:
        names = ", ".join(k.name for k in notice_kinds())
        raise ValidationError("notices.not_a_notice_template", template=template, names=names, field="template")
    community = Community.select().first()
    codes = community.language_list if community is not None else [FALLBACK]
    wanted = kind.all_parameters()
    missing = [name for name in wanted if not params.get(name)]
    if missing:
        raise ValidationError(
            "notices.missing_params", template=template, missing=", ".join(missing), first=missing[0], field="param"
        )
    unknown = [name for name in params if name not in wanted]
    if unknown and not wanted:
        raise ValidationError("notices.no_params", template=template, unknown=", ".join(unknown), field="param")
    if unknown:
        raise ValidationError(
            "notices.unknown_params",
            template=template,
            unknown=", ".join(unknown),
            known=", ".join(wanted),
            field="param",
        )
    values = dict(params)
    for gateway in template_gateways():
        limit = gateway.limits.max_param_chars
        for name, value in values.items():
            if len(value) > limit:
                raise ValidationError(
                    "notices.param_too_long",
                    name=name,
                    length=len(value),
                    gateway=gateway.name,
                    limit=limit,
                    field="param",
                )
        for code in codes:
            if gateway.templates.template_id(template, code) is None:
                raise TemplateRefused(
                    "notices.no_approved_template", gateway=gateway.name, template=template, lang=code
                )
    body = render(template, codes[0], **values)
    bodies = {code: render(template, code, **values) for code in codes[1:]}
    return TemplatedNotice(template=template, params=values, body=body, bodies=bodies)


def refuse_free_text(channel: str) -> None:
    """In template-only mode an SMS notice must come from an approved template."""
    if channel != "voice" and template_only():
        names = ", ".join(kind.name for kind in notice_kinds())
        raise ValidationError("notices.templates_only", names=names, field="body")
