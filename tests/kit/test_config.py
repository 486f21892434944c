from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

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


def test_describe_lists_every_setting_with_a_doc_and_masks_the_token() -> None:
    settings = load_settings(env={"TWILIO_AUTH_TOKEN": "s3cr3t", "TWILIO_ACCOUNT_SID": "AC123"})
    rows = describe(settings)
    expected_names = [
        f"{section.name}.{f.name}" for section in fields(Settings) for f in fields(getattr(settings, section.name))
    ]
    assert [name for name, _, _ in rows] == expected_names
    for name, _, doc in rows:
        assert doc.strip(), f"{name} has no doc"
        assert doc.endswith("."), f"the doc of {name} is not a sentence"
    values = {name: value for name, value, _ in rows}
    assert values["twilio.auth_token"] == "***"
    assert values["twilio.account_sid"] == "AC123"
    assert "s3cr3t" not in repr(rows)
    assert values["server.port"] == 8080


def test_describe_shows_an_empty_token_as_empty() -> None:
    values = {name: value for name, value, _ in describe()}
    assert values["twilio.auth_token"] == ""


def test_every_environment_variable_targets_a_real_setting() -> None:
    settings = Settings()
    for (section, key), variable in ENVIRONMENT.items():
        assert hasattr(getattr(settings, section), key), variable
