"""Picking the gateways from the configuration: one per channel, "sms" and "voice".

The composition root (the CLI's `dispatch`, the server) calls `build_gateways(settings)` and hands the result to the
dispatcher. SMS gateways live in sms/, voice gateways (which place calls with the keypad menus) in ivr/. Provider
libraries are imported only when their gateway is chosen, so the simulators need none. A gateway that is missing a
setting (a Twilio number, a public URL for voice) raises ConfigError when it is built, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable

from kit.config import Settings
from kit.errors import ConfigError
from kit.gateway import Gateway

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


def build_gateways(settings: Settings) -> dict[str, Gateway]:
    """{"sms": gateway, "voice": gateway} as settings.gateway.sms and .voice say."""
    gateways: dict[str, Gateway] = {}
    for channel, chosen in (("sms", settings.gateway.sms), ("voice", settings.gateway.voice)):
        name = chosen.strip().lower()
        builder = _BUILDERS.get((channel, name))
        if builder is None:
            raise ConfigError(
                f"Unknown {channel} gateway '{chosen}' in gateway.{channel}; choose one of: {', '.join(CHOICES)}."
            )
        gateways[channel] = builder(channel, settings)
    return gateways
