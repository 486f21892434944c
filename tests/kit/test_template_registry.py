"""The templates file of a template gateway (one table per language, kind = "template id") and provider limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit import ui_words
from kit.config import load_settings
from kit.errors import ConfigError
from kit.template_registry import PROVIDER_LIMITS, TemplateLimits, limits_for, load_template_map, sends_only_templates


def test_a_map_gives_each_kind_its_id_per_language(tmp_path: Path) -> None:
    path = tmp_path / "templates.toml"
    path.write_text('[zh]\ncheckin = "1234567"\nreminder = 1234568\n\n[en]\ncheckin = "SMS_001"\n', encoding="utf-8")
    mapped = load_template_map(path)
    assert mapped.template_id("checkin", "zh") == "1234567"
    assert mapped.template_id("reminder", "zh") == "1234568"  # Tencent's ids are digits: a number reads as text
    assert mapped.template_id("checkin", "en") == "SMS_001"
    assert mapped.template_id("reminder", "en") is None
    assert mapped.template_id("checkin", "fr") is None
    assert mapped.languages() == ["zh", "en"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('checkin = "1"\n', "must be a table of one language"),
        ('[zh]\ncheckin = ""\n', "must be a template id"),
        ("[zh]\ncheckin = true\n", "must be a template id"),
        ("[zh\n", "is not valid TOML"),
    ],
)
def test_a_bad_templates_file_says_what_to_fix(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "templates.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=said):
        load_template_map(path)


def test_a_bad_templates_file_is_said_in_the_readers_language(tmp_path: Path) -> None:
    path = tmp_path / "templates.toml"
    path.write_text('[zh]\ncheckin = ""\n', encoding="utf-8")
    ui_words.use_language("zh")
    with pytest.raises(ConfigError) as raised:
        load_template_map(path)
    assert raised.value.message == f'模板文件 {path}：[zh] 里的 checkin 要写模板 ID，例如 "1234567"。'
    assert raised.value.text("en") == f'Templates file {path}: [zh] checkin must be a template id, like "1234567".'


def test_a_missing_templates_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_template_map(tmp_path / "nowhere.toml")


def test_provider_limits_and_a_gateway_table_that_changes_them() -> None:
    assert sends_only_templates("aliyun") and sends_only_templates("tencent")
    assert not sends_only_templates("kannel")
    assert PROVIDER_LIMITS["aliyun"] == TemplateLimits(35, forbids_mobile_numbers=True, forbids_links=True)
    assert limits_for("aliyun", {"max_param_chars": 20}).max_param_chars == 20
    assert not limits_for("tencent", {"forbids_mobile_numbers": False}).forbids_mobile_numbers
    with pytest.raises(ConfigError, match="at least 1"):
        limits_for("aliyun", {"max_param_chars": 0})
    with pytest.raises(ConfigError, match="whole number"):
        limits_for("aliyun", {"max_param_chars": "lots"})


def test_a_gateways_templates_path_is_read_from_the_configuration_files_folder(tmp_path: Path) -> None:
    config = tmp_path / "linli.toml"
    config.write_text('[gateways.tc1]\nkind = "tencent"\ntemplates = "maps/tc.toml"\n', encoding="utf-8")
    assert load_settings(config).gateways["tc1"]["templates"] == str(tmp_path / "maps" / "tc.toml")
    config.write_text('[gateways.tc1]\nkind = "tencent"\ntemplates = ""\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="must be the path of a templates file"):
        load_settings(config)
