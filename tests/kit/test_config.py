from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from kit import ui_words
from kit.config import ENVIRONMENT, Settings, describe, load_settings
from kit.errors import ConfigError


def write(tmp_path: Path, text: str, name: str = "linli.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_with_no_file_and_no_environment() -> None:
    settings = load_settings(env={})
    assert settings == Settings()
    assert settings.database.path == ""
    assert settings.gateway.sms == "simulator"
    assert settings.gateway.voice == "simulator"
    assert settings.twilio.auth_token == ""
    assert settings.twilio.api_base == "https://api.twilio.com"
    assert settings.twilio.poll_seconds == 30
    assert settings.dispatch.rate_per_second == 1.0
    assert settings.dispatch.quiet_start == "21:00"
    assert settings.dispatch.quiet_end == "07:00"
    assert settings.checkin.time == "09:00"
    assert settings.checkin.audience == "all"
    assert settings.server.host == "127.0.0.1"
    assert settings.server.port == 8080


def test_a_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[gateway]
sms = "twilio"

[dispatch]
rate_per_second = 3        # an int where a float is wanted is fine
quiet_start = "22:30"

[server]
port = 9090

[checkin]
reminder_after_hours = 2.5
audience = "grid:东区"
""",
    )
    settings = load_settings(path, env={})
    assert settings.gateway.sms == "twilio"
    assert settings.gateway.voice == "simulator"
    assert settings.dispatch.rate_per_second == 3.0
    assert isinstance(settings.dispatch.rate_per_second, float)
    assert settings.dispatch.quiet_start == "22:30"
    assert settings.dispatch.quiet_end == "07:00"
    assert settings.server.port == 9090
    assert settings.server.host == "127.0.0.1"
    assert settings.checkin.reminder_after_hours == 2.5
    assert settings.checkin.audience == "grid:东区"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[twilio]
auth_token = "from-file"
account_sid = "ACfile"
public_url = "https://file.example"

[database]
path = "/srv/file.sqlite3"
""",
    )
    env = {
        "TWILIO_AUTH_TOKEN": "from-env",
        "TWILIO_ACCOUNT_SID": "ACenv",
        "LINLI_PUBLIC_URL": "https://env.example",
        "LINLI_DB": "/srv/env.sqlite3",
    }
    settings = load_settings(path, env=env)
    assert settings.twilio.auth_token == "from-env"
    assert settings.twilio.account_sid == "ACenv"
    assert settings.twilio.public_url == "https://env.example"
    assert settings.database.path == "/srv/env.sqlite3"
    # An empty variable does not wipe the file's value.
    settings = load_settings(path, env={"TWILIO_AUTH_TOKEN": ""})
    assert settings.twilio.auth_token == "from-file"


def test_the_process_environment_is_read_when_no_env_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[server]\nport = 8181\n", name="from-env.toml")
    monkeypatch.setenv("LINLI_CONFIG", str(path))
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "secret-token")
    monkeypatch.setenv("LINLI_PUBLIC_URL", "https://linli.example")
    monkeypatch.setenv("LINLI_DB", str(tmp_path / "x.sqlite3"))
    settings = load_settings()
    assert settings.server.port == 8181
    assert settings.twilio.auth_token == "secret-token"
    assert settings.twilio.public_url == "https://linli.example"
    assert settings.database.path == str(tmp_path / "x.sqlite3")


def test_linli_config_points_to_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[gateway]\nvoice = "twilio"\n')
    assert load_settings(env={"LINLI_CONFIG": str(path)}).gateway.voice == "twilio"


def test_an_explicit_path_wins_over_linli_config(tmp_path: Path) -> None:
    chosen = write(tmp_path, "[server]\nport = 1111\n", name="chosen.toml")
    other = write(tmp_path, "[server]\nport = 2222\n", name="other.toml")
    assert load_settings(chosen, env={"LINLI_CONFIG": str(other)}).server.port == 1111


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("[smtp]\nhost = 'x'\n", "Unknown section [smtp] in the configuration.", id="unknown section"),
        pytest.param(
            "[server]\nhots = 'x'\n", "Unknown setting server.hots in the configuration.", id="unknown setting"
        ),
        pytest.param(
            "[server]\nport = '8080'\n", "Setting server.port must be int, not str ('8080').", id="str for int"
        ),
        pytest.param(
            "[server]\nport = 80.5\n", "Setting server.port must be int, not float (80.5).", id="float for int"
        ),
        pytest.param("[server]\nport = true\n", "Setting server.port must be int, not bool (True).", id="bool for int"),
        pytest.param(
            "[dispatch]\nrate_per_second = false\n",
            "Setting dispatch.rate_per_second must be float, not bool (False).",
            id="bool for float",
        ),
        pytest.param("[gateway]\nsms = 1\n", "Setting gateway.sms must be str, not int (1).", id="int for str"),
    ],
)
def test_mistakes_in_the_file_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert caught.value.message == message
    assert caught.value.title == "Configuration problem"


def test_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as caught:
        load_settings(missing, env={})
    assert caught.value.message == f"Configuration file {missing} does not exist."


def test_a_file_that_is_not_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "[server\nport = 1\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert caught.value.message.startswith(f"Configuration file {path} is not valid TOML: ")


def test_a_known_section_that_is_not_a_table(tmp_path: Path) -> None:
    path = write(tmp_path, "server = 8080\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert "Unknown" not in caught.value.message
    assert "[server]" in caught.value.message


def test_describe_lists_every_setting_with_a_doc_and_never_a_secret() -> None:
    settings = load_settings(env={"TWILIO_AUTH_TOKEN": "s3cr3t", "TWILIO_ACCOUNT_SID": "AC123"})
    rows = describe(settings)
    expected_names = [
        f"{section.name}.{f.name}"
        for section in fields(Settings)
        if section.name != "gateways"  # the [gateways.NAME] tables: none here
        for f in fields(getattr(settings, section.name))
    ]
    assert [name for name, _, _ in rows] == expected_names
    for name, _, doc in rows:
        assert doc.strip(), f"{name} has no doc"
        assert doc.endswith("."), f"the doc of {name} is not a sentence"
    values = {name: value for name, value, _ in rows}
    assert values["twilio.auth_token"] is None  # not even masked: a mask copied into a file became the token
    assert values["twilio.account_sid"] == "AC123"
    assert "s3cr3t" not in repr(rows)
    assert values["server.port"] == 8080


def test_describe_shows_an_unset_secret_as_none_too() -> None:
    values = {name: value for name, value, _ in describe()}
    assert values["twilio.auth_token"] is None
    assert values["district.token"] is None


# --- secrets are never placeholders ------------------------------------------------------------------------------

PLACEHOLDERS = ["***", "********", "AC12****cd90", "<your auth token>", "changeme", "${TWILIO_AUTH_TOKEN}", "xxxxxx"]


@pytest.mark.parametrize("value", PLACEHOLDERS)
def test_a_placeholder_in_the_file_is_refused_as_a_secret(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, f'[twilio]\nauth_token = "{value}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert caught.value.message == (
        f"twilio.auth_token in the configuration file {path} is a placeholder ({value!r}), not a secret: "
        "set TWILIO_AUTH_TOKEN to the real one."
    )


@pytest.mark.parametrize("value", ["***", "•••••"])
def test_a_placeholder_in_the_environment_is_refused_as_a_secret(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env={"LINLI_DISTRICT_TOKEN": value})
    assert caught.value.message == (
        f"district.token in the environment's LINLI_DISTRICT_TOKEN is a placeholder ({value!r}), not a secret: "
        "set LINLI_DISTRICT_TOKEN to the real one."
    )


def test_an_empty_secret_in_the_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[twilio]\nauth_token = ""\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert caught.value.message == (
        f"twilio.auth_token is empty in the configuration file {path}: set TWILIO_AUTH_TOKEN to the real one, "
        "or remove the line to leave it unset."
    )


def test_a_placeholder_is_named_in_the_readers_language(tmp_path: Path) -> None:
    path = write(tmp_path, '[twilio]\nauth_token = "changeme"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    ui_words.use_language("zh")
    assert caught.value.message == (
        f"配置文件 {path} 里的 twilio.auth_token 是占位符（'changeme'），不是真正的密钥："
        "请把 TWILIO_AUTH_TOKEN 设为真实的值。"
    )
    assert caught.value.title == "配置有问题"


@pytest.mark.parametrize("value", ["0123456789abcdef0123456789abcdef", "s3cr3t-token", "a*b"])
def test_real_secrets_are_accepted(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, f'[twilio]\nauth_token = "{value}"\n')
    assert load_settings(path, env={}).twilio.auth_token == value
    assert load_settings(env={"TWILIO_AUTH_TOKEN": value}).twilio.auth_token == value


def test_placeholders_are_refused_only_for_secrets(tmp_path: Path) -> None:
    path = write(tmp_path, '[twilio]\naccount_sid = ""\nfrom_number = ""\n')
    assert load_settings(path, env={}).twilio.account_sid == ""


def test_every_environment_variable_targets_a_real_setting() -> None:
    settings = Settings()
    for (section, key), variable in ENVIRONMENT.items():
        assert hasattr(getattr(settings, section), key), variable


# --- named gateways ---------------------------------------------------------------------------------------------

POOL = """
[gateway]
sms = ["phone1", "modem1"]

[gateways.phone1]
kind = "Android"
rate_per_minute = 20
daily_cap = 300
password = "k7Qw9zL2pX"

[gateways.modem1]
kind = "gammu"
device = "/dev/ttyUSB0"
"""


def test_gateway_tables_name_several_gateways_for_a_channel(tmp_path: Path) -> None:
    from kit.config import gateway_specs

    settings = load_settings(write(tmp_path, POOL), env={})
    assert settings.gateway.sms == ["phone1", "modem1"]
    phone, modem = gateway_specs(settings, "sms")
    assert (phone.name, phone.kind, phone.rate_per_minute, phone.daily_cap) == ("phone1", "android", 20.0, 300)
    assert (modem.name, modem.kind, modem.rate_per_minute, modem.daily_cap) == ("modem1", "gammu", 60.0, 0)
    assert modem.options["device"] == "/dev/ttyUSB0"
    rows = {name: value for name, value, _ in describe(settings)}
    assert rows["gateways.phone1.password"] is None and "k7Qw9zL2pX" not in repr(describe(settings))
    assert rows["gateways.modem1.device"] == "/dev/ttyUSB0"


def test_the_plain_gateway_strings_mean_what_they_did(tmp_path: Path) -> None:
    from kit.config import gateway_specs

    settings = load_settings(write(tmp_path, '[gateway]\nsms = "twilio"\n[dispatch]\nrate_per_second = 2.0\n'), env={})
    (twilio,) = gateway_specs(settings, "sms")
    (voice,) = gateway_specs(settings, "voice")
    assert (twilio.name, twilio.kind, twilio.rate_per_minute, twilio.daily_cap) == ("twilio", "twilio", 120.0, 0)
    assert (voice.name, voice.kind, voice.rate_per_minute) == ("simulator", "simulator", 0.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            '[gateway]\nsms = ["phone1"]\n',
            "Unknown sms gateway 'phone1' in gateway.sms; choose one of: simulator, twilio.",
            id="a name with no table",
        ),
        pytest.param(
            '[gateway]\nsms = "p"\n[gateways.p]\nrate_per_minute = 5\n',
            "gateways.p.kind is missing: say which kind of gateway p is.",
            id="no kind",
        ),
        pytest.param(
            '[gateway]\nsms = "p"\n[gateways.p]\nkind = "android"\ndaily_cap = "300"\n',
            "Setting gateways.p.daily_cap must be a number, 0 or more, not '300'.",
            id="a cap as text",
        ),
        pytest.param(
            '[gateway]\nsms = "p"\n[gateways.p]\nkind = "android"\nwebhook_secret = "changeme"\n',
            "gateways.p.webhook_secret in the configuration file {path} is a placeholder ('changeme'), not a "
            "secret: give the real one.",
            id="a placeholder secret",
        ),
        pytest.param("[gateway]\nsms = []\n", "Setting gateway.sms must be str, not list ([]).", id="no names"),
    ],
)
def test_mistakes_in_gateway_tables_are_one_line_before_anything_is_sent(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert caught.value.message == message.format(path=path)
