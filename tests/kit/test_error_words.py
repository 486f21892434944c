"""The kit's errors are in the reader's language: raised with a key whose words every language has, never with a
sentence written in the code (kit.errors)."""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit import ui_words
from kit.errors import ConfigError, InvalidPhone, LinliError, NotFound, ValidationError
from kit.phones import normalize_phone

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kit", "sms", "ivr", "linli", "tui")
NOT_WORDS = {"field", "title", "problems", "status"}  # keyword arguments of the errors themselves, not placeholders


def _sources() -> Iterator[tuple[Path, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def _error_classes(modules: list[tuple[Path, ast.Module]]) -> set[str]:
    """The names of LinliError and every class below it, followed through the code's class statements."""
    bases: dict[str, set[str]] = {}
    for _, module in modules:
        for node in ast.walk(module):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {base.id for base in node.bases if isinstance(base, ast.Name)}
    errors = {"LinliError"}
    while True:
        more = {name for name, parents in bases.items() if parents & errors} - errors
        if not more:
            return errors
        errors |= more


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _raise_sites() -> list[tuple[str, ast.Call]]:
    modules = list(_sources())
    errors = _error_classes(modules)
    sites = []
    for path, module in modules:
        for node in ast.walk(module):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in errors:
                sites.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return sites


def test_every_error_is_raised_with_a_key_every_language_has() -> None:
    chinese = ui_words.table("zh")
    wrong = []
    for where, call in _raise_sites():
        if not call.args:
            continue
        first = call.args[0]
        if isinstance(first, ast.JoinedStr) or (isinstance(first, ast.BinOp) and isinstance(first.left, ast.Constant)):
            wrong.append(f"{where}: a sentence built in the code")
            continue
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue  # a key chosen at run time (a table of keys), or an error passed on
        key = f"errors.{first.value}"
        if key not in chinese:
            wrong.append(f"{where}: {first.value!r} is not a key in data/ui/*/errors*.toml")
            continue
        given = {keyword.arg for keyword in call.keywords if keyword.arg is not None} - NOT_WORDS
        if any(keyword.arg is None for keyword in call.keywords):
            continue  # **values
        if given != _fields(chinese[key]):
            wrong.append(f"{where}: {first.value} needs {sorted(_fields(chinese[key]))}, is given {sorted(given)}")
        title = next((keyword.value for keyword in call.keywords if keyword.arg == "title"), None)
        if isinstance(title, ast.Constant) and f"errors.title.{title.value!s}" not in chinese:
            wrong.append(f"{where}: no title {title.value!r} in [errors.title]")
    assert not wrong, "\n".join(wrong)


def test_every_error_class_has_a_title_in_every_language() -> None:
    chinese = ui_words.table("zh")

    def below(cls: type[LinliError]) -> Iterator[type[LinliError]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    import linli.cli.main  # noqa: F401  (imports every module that defines an error)

    classes: list[type[LinliError]] = [LinliError, *below(LinliError)]
    missing = [cls.__name__ for cls in classes if f"errors.title.{cls.title_key}" not in chinese]
    assert not missing, missing
    written_in_code = [cls.__name__ for cls in classes[1:] if isinstance(vars(cls).get("title"), str)]
    assert not written_in_code, f"give these a title_key instead of a title: {written_in_code}"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh", "“138001”（6位）不是有效的中国号码，请核对数字。"),
        ("en", "'138001' (6 digits) is not a valid number in China"),
    ],
)
def test_an_error_speaks_the_readers_language(language: str, expected: str) -> None:
    ui_words.use_language(language)
    with pytest.raises(InvalidPhone) as raised:
        normalize_phone("138001", "CN")
    assert expected in raised.value.message
    assert raised.value.title == ("电话号码不能使用" if language == "zh" else "Phone number not accepted")


def test_an_error_is_read_when_shown_so_a_language_chosen_later_counts() -> None:
    ui_words.use_language("en")
    error = ValidationError("phone.letters", raw="abc", field="phone")
    ui_words.use_language("zh")
    assert str(error) == "“abc”不是电话号码：里面有字母或符号。"
    assert error.text("en") == "'abc' is not a phone number: it has letters or symbols in it."
    assert error.field == "phone"


def test_words_already_in_the_readers_language_are_shown_as_they_are() -> None:
    error = ConfigError.said("打印机没有回应", title="打印")
    assert (error.message, error.title, str(error)) == ("打印机没有回应", "打印", "打印机没有回应")


def test_a_key_missing_from_the_words_shows_itself() -> None:
    assert NotFound("no.such.key").message == "no.such.key"
