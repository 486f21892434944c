"""Template-only mode: when an SMS gateway of the pool sends only approved templates, nothing it could not send is
ever queued.

A message is vetted when it is queued (kit.outbox): its kind must be mapped to an approved template, in its
language, on every template gateway of the SMS pool (the dispatcher may hand it to any of them), and each parameter
must fit the provider's limit. What fails is written as a 'skipped' row with the reason, never sent, and raises an
alert in the community's language; the state change that caused it (a report, a task) still happens.

Decisions
- The mode follows the configured SMS pool ([gateway] sms): one template gateway in it is enough, since the
  dispatcher may pick it for any message. A free-text gateway of the same pool still sends the rendered text.
- The running kit names its settings (`use_settings`, called by the CLI and the runtime, --config included); a
  process that did not reads the configuration file ($LINLI_CONFIG) once.
- A provider that forbids mobile numbers gets a kind's variant without one (kit.message_kinds.WITHOUT_PHONE),
  chosen here, so the places that queue task messages need not know which gateway is configured.
- Templates files are read when the mode is first needed and kept; a relative path is from the working folder.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from kit import ui_words
from kit.alerts import alert_text, raise_alert
from kit.config import GatewaySpec, Settings, gateway_specs, load_settings
from kit.errors import ConfigError, ValidationError
from kit.message_kinds import CUT_TO_FIT, PHONE_PARAMS, WITHOUT_PHONE, cut, is_kind, stringify
from kit.models import Community
from kit.template_registry import TemplateLimits, TemplateMap, limits_for, load_template_map, sends_only_templates
from kit.templates import FALLBACK, render

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TemplateGateway:
    """One SMS gateway that sends only approved templates: its limits, its map and its signature."""

    name: str
    kind: str
    limits: TemplateLimits
    templates: TemplateMap
    templates_path: str = ""
    sign_name: str = ""

    def signed(self, body: str) -> str:
        """`body` as the resident reads it: the approved signature in 【】 first."""
        return f"【{self.sign_name}】{body}" if self.sign_name else body


def template_gateway(spec: GatewaySpec) -> TemplateGateway:
    """The template gateway of a [gateways.NAME] table; reads its templates file (ConfigError when it cannot)."""
    path = str(spec.options.get("templates", "") or "")
    return TemplateGateway(
        name=spec.name,
        kind=spec.kind,
        limits=limits_for(spec.kind, spec.options),
        templates=load_template_map(path) if path else TemplateMap(),
        templates_path=path,
        sign_name=str(spec.options.get("sign_name", "") or ""),
    )


def template_specs(settings: Settings) -> list[GatewaySpec]:
    """The SMS gateways of the pool that send only templates."""
    return [spec for spec in gateway_specs(settings, "sms") if sends_only_templates(spec.kind)]


_settings: Settings | None = None
_gateways: list[TemplateGateway] | None = None


def use_settings(settings: Settings | None) -> None:
    """The settings of the running kit (None: read the configuration file when next needed)."""
    global _settings, _gateways
    _settings, _gateways = settings, None


def template_gateways() -> list[TemplateGateway]:
    """The template gateways of the running kit's SMS pool; empty when it sends free text."""
    global _gateways
    if _gateways is None:
        settings = _settings if _settings is not None else load_settings()
        _gateways = [template_gateway(spec) for spec in template_specs(settings)]
    return _gateways


def template_only() -> bool:
    return bool(template_gateways())


Refusal = tuple[str, dict[str, object]]  # why a message is not queued: the key of its words, and their values


@dataclass(frozen=True)
class Vetted:
    """A message as it may be queued: its kind and parameters (a variant, cut values), the body free-text
    gateways send, and `refusal` (a line saying why, in the reader's language: the community's, where Linli runs;
    the outbox row keeps it for the operators) when it must not be sent at all."""

    kind: str
    params: dict[str, str] = field(default_factory=dict)
    body: str = ""
    refusal: str = ""


def vet(kind: str, language: str, params: Mapping[str, object], body: str, channel: str = "sms") -> Vetted:
    """What may be queued of a message of `kind` (see the module's docstring); raises the alert of a refusal."""
    values = stringify(params)
    gateways = template_gateways() if channel == "sms" else []
    if not gateways:
        return Vetted(kind, values, body)
    language = language or _community_language()
    if kind in WITHOUT_PHONE and any(gateway.limits.forbids_mobile_numbers for gateway in gateways):
        kind = WITHOUT_PHONE[kind]
        values = {name: value for name, value in values.items() if name not in PHONE_PARAMS}
        body = render(kind, language, **values)
    for gateway in gateways:
        refusal, values = _fit(gateway, kind, language, values)
        if refusal is not None:
            key, said = refusal
            log.warning("%s", ui_words.text("en", key, **said))  # the log is read by maintainers, in English
            return Vetted(kind, values, body, ui_words.say(key, **said))
    return Vetted(kind, values, body)


def _fit(
    gateway: TemplateGateway, kind: str, language: str, values: dict[str, str]
) -> tuple[Refusal | None, dict[str, str]]:
    """Why `gateway` cannot send this message (None when it can), and the values cut to fit."""
    if not is_kind(kind) or gateway.templates.template_id(kind, language) is None:
        raise_alert(
            "template",
            alert_text("alert_template_unmapped", kind=kind, lang=language, gateway=gateway.name),
            key=f"template:{gateway.name}:{kind}:{language}",
        )
        said: dict[str, object] = {"gateway": gateway.name, "kind": kind, "lang": language}
        if gateway.templates_path:
            return ("errors.template_mode.unmapped", {**said, "where": gateway.templates_path}), values
        return ("errors.template_mode.unmapped_no_file", said), values
    limit = gateway.limits.max_param_chars
    fitted = dict(values)
    for name, value in values.items():
        if len(value) <= limit:
            continue
        if name in CUT_TO_FIT:
            fitted[name] = cut(value, limit)
            continue
        raise_alert(
            "template",
            alert_text("alert_template_too_long", kind=kind, param=name, chars=len(value), limit=limit, value=value),
            key=f"template_long:{gateway.name}:{kind}:{name}:{value}",
        )
        said = {"param": name, "kind": kind, "chars": len(value), "gateway": gateway.name, "limit": limit}
        return ("errors.template_mode.too_long", said), values
    return None, fitted


def _community_language() -> str:
    community = Community.select().first()
    return community.language if community is not None else FALLBACK


class TemplateRefused(ValidationError):
    title_key = "template_refused"


def sendable_in_bulk(kind: str) -> bool:
    """For messages written in bulk (check-in prompts, reminders): whether every template gateway has `kind` in each
    of the community's languages. Raises the alert of each that has not."""
    community = Community.select().first()
    codes = community.language_list if community is not None else [FALLBACK]
    return all(not vet(kind, code, {}, "").refusal for code in codes)


def require_in_bulk(kind: str) -> None:
    """`sendable_in_bulk`, or TemplateRefused saying what to map (its alert raised first)."""
    if not sendable_in_bulk(kind):
        names = ", ".join(gateway.name for gateway in template_gateways())
        first = template_gateways()[0].name
        raise TemplateRefused("template_mode.not_in_every_language", names=names, kind=kind, first=first)


def named_template_gateway(settings: Settings, name: str) -> TemplateGateway:
    """The [gateways.NAME] table `name` as a template gateway, in the SMS pool or not (to prepare before switching)."""
    table = settings.gateways.get(name)
    if table is None or not sends_only_templates(str(table.get("kind", ""))):
        choices = ", ".join(template_gateway_names(settings))
        if not choices:
            raise ConfigError("template_mode.no_gateways", name=name)
        raise ConfigError("template_mode.no_gateway", name=name, names=choices)
    spec = GatewaySpec(name, str(table["kind"]), "sms", 0.0, 0, 0.0, 0.0, dict(table))
    return template_gateway(spec)


def template_gateway_names(settings: Settings) -> list[str]:
    """The [gateways.NAME] tables of a kind that sends only templates, in the file's order."""
    return [name for name, table in settings.gateways.items() if sends_only_templates(str(table.get("kind", "")))]
