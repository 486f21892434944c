"""Picking the gateways from the configuration: the pool of each channel, "sms" and "voice".

The composition root (the CLI's `dispatch`, the server) calls `build_gateways(settings)` and hands the result to the
dispatcher: channel -> the first gateway of its pool (what one gateway per channel used to be), with every member of
each pool in `.members` and the provider module of each named gateway in `.modules` (the server mounts their routes,
the runtime polls those that must be asked). SMS gateways live in sms/, voice gateways (which place calls with the
keypad menus) in ivr/. Provider libraries are imported only when their kind is configured, so the simulators need
none. A gateway that is missing a setting (a Twilio number, a public URL for voice), a kind Linli does not know, or a
name in [gateway] with no [gateways.NAME] table raise ConfigError when they are built, before anything is sent.

Decisions
- KINDS maps a kind to its provider module; "simulator" and "twilio" are built in (BUILT_IN). A provider module
  exposes `build(name, options, settings) -> Gateway` (options: the whole [gateways.NAME] table, its common keys
  kit.config.COMMON_GATEWAY_KEYS included) and optionally `mount(app, gateway, context)`; its gateway optionally
  `poll(receive) -> int` and `probe()`.
- A gateway of kind "twilio" uses the [twilio] settings, whatever its name.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from kit import ui_words
from kit.config import CHANNELS, GatewaySpec, Settings, gateway_specs
from kit.errors import ConfigError
from kit.gateway import Gateway
from kit.pool import Member

BUILT_IN = ""
KINDS: dict[str, str] = {
    "simulator": BUILT_IN,
    "twilio": BUILT_IN,
    "kannel": "sms.gateways.kannel",
    "android": "sms.gateways.android",
    "gammu": "sms.gateways.gammu",
    "tencent": "sms.gateways.tencent",
    "aliyun": "sms.gateways.aliyun",
}

CHOICES = ("simulator", "twilio")


def _sms_simulator(channel: str, settings: Settings) -> Gateway:
    from sms.simulator import SimulatorGateway

    return SimulatorGateway(channel)


def _voice_simulator(channel: str, settings: Settings) -> Gateway:
    from ivr.simulator import SimulatorVoiceGateway

    gateway: Gateway = SimulatorVoiceGateway()
    return gateway


def _twilio_sms(channel: str, settings: Settings) -> Gateway:
    from sms.twilio_gateway import TwilioSmsGateway

    gateway: Gateway = TwilioSmsGateway(settings.twilio)
    return gateway


def _twilio_voice(channel: str, settings: Settings) -> Gateway:
    from ivr.twilio_voice import TwilioVoiceGateway

    gateway: Gateway = TwilioVoiceGateway(settings.twilio)
    return gateway


_BUILDERS: dict[tuple[str, str], Callable[[str, Settings], Gateway]] = {
    ("sms", "simulator"): _sms_simulator,
    ("voice", "simulator"): _voice_simulator,
    ("sms", "twilio"): _twilio_sms,
    ("voice", "twilio"): _twilio_voice,
}


class Gateways(dict[str, Gateway]):
    """channel -> the first gateway of its pool, with `.members` (channel -> the pool) and `.modules` (gateway name ->
    its provider module, for the kinds that have one). Setting a channel's gateway replaces the first member's."""

    def __init__(self, members: dict[str, list[Member]], modules: dict[str, ModuleType]) -> None:
        super().__init__({channel: pool[0].gateway for channel, pool in members.items()})
        self.members = members
        self.modules = modules

    def __setitem__(self, channel: str, gateway: Gateway) -> None:
        super().__setitem__(channel, gateway)
        self.members[channel][0].gateway = gateway

    def named(self) -> dict[str, tuple[Gateway, GatewaySpec]]:
        """Every configured gateway by name, with its settings."""
        return {m.spec.name: (m.gateway, m.spec) for pool in self.members.values() for m in pool}


def build_gateways(settings: Settings) -> Gateways:
    """Each channel's pool as settings.gateway.sms / .voice and the [gateways.NAME] tables say."""
    members: dict[str, list[Member]] = {}
    modules: dict[str, ModuleType] = {}
    for channel in CHANNELS:
        members[channel] = []
        for spec in gateway_specs(settings, channel):
            gateway, module = _build(spec, settings)
            members[channel].append(Member(gateway, spec))
            if module is not None:
                modules[spec.name] = module
    return Gateways(members, modules)


def check_kinds(settings: Settings) -> None:
    """Raise ConfigError for a [gateways.NAME] table of a kind Linli does not know (without building anything)."""
    for name, table in settings.gateways.items():
        _module_path(name, str(table.get("kind", "")))


def _module_path(name: str, kind: str) -> str:
    if kind not in KINDS:
        raise ConfigError("gateway.unknown_kind", name=name, kind=kind, kinds=", ".join(KINDS))
    return KINDS[kind]


def _build(spec: GatewaySpec, settings: Settings) -> tuple[Gateway, ModuleType | None]:
    path = _module_path(spec.name, spec.kind)
    if path == BUILT_IN:
        gateway = _BUILDERS[(spec.channel, spec.kind)](spec.channel, settings)
        module = None
    else:
        try:
            module = importlib.import_module(path)
        except ImportError as error:
            raise ConfigError("gateway.cannot_load", name=spec.name, kind=spec.kind, reason=str(error)) from None
        gateway = module.build(spec.name, spec.options, settings)
    if gateway.channel != spec.channel:
        raise ConfigError(
            "gateway.wrong_channel", name=spec.name, kind=spec.kind, channel=ui_words.later(f"channel.{spec.channel}")
        )
    _rename(gateway, spec.name)
    return gateway, module


def _rename(gateway: Any, name: str) -> None:
    """A built-in gateway takes its configured name (rows record it in Message.gateway)."""
    if gateway.name != name:
        gateway.name = name


def provider_routes(gateways: Any) -> list[Callable[[Any], None]]:
    """The route adders of the provider modules that have a `mount(app, gateway, context)`, one per named gateway
    (the webhook server calls each with its app; the context is the SMS webhooks' `sms.webhooks.CONTEXT`)."""
    from sms.webhooks import CONTEXT

    adders: list[Callable[[Any], None]] = []
    modules: dict[str, ModuleType] = getattr(gateways, "modules", {})
    named: dict[str, tuple[Gateway, GatewaySpec]] = getattr(gateways, "named", dict)()
    for name, (gateway, _) in named.items():
        mount = getattr(modules.get(name), "mount", None)
        if mount is not None:
            adders.append(functools.partial(_mount, mount, gateway, CONTEXT))
    return adders


def _mount(mount: Callable[[Any, Gateway, Any], None], gateway: Gateway, key: Any, app: Any) -> None:
    mount(app, gateway, app[key])


class Pollers:
    """Asks the gateways that must be asked for inbound messages (`poll(receive) -> int`), each every its
    `poll_seconds`; what arrived is stored through sms.router.receive (idempotent) and acted on by `after`."""

    def __init__(self, gateways: Any, after: Callable[[], None], failed: Callable[..., None]) -> None:
        named: dict[str, tuple[Gateway, GatewaySpec]] = getattr(gateways, "named", dict)()
        self.due = {name: (gateway, spec.poll_seconds, 0.0) for name, (gateway, spec) in named.items()}
        self.due = {name: entry for name, entry in self.due.items() if hasattr(entry[0], "poll")}
        self.after = after
        self.failed = failed

    def tick(self, seconds: float) -> None:
        for name, (gateway, every, left) in list(self.due.items()):
            left -= seconds
            if left <= 0:
                left = every
                self.poll(name, gateway)
            self.due[name] = (gateway, every, left)

    def poll(self, name: str, gateway: Any) -> None:
        from sms import router

        try:
            if gateway.poll(router.receive):
                self.after()
        except Exception as error:  # a modem that hangs must not stop the scheduler: logged, shown, tried again
            self.failed("polling_gateway", error, name=name)
