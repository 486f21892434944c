"""The layer fence, stated once in pyproject.toml's import-linter contracts and checked twice: by import-linter, and
here by reading every file's imports (inside functions and `if TYPE_CHECKING:` blocks too, which import-linter's
graph also sees, and `importlib.import_module("x")` with a literal name, which it does not).

The rules come from the contracts themselves, so the two checks cannot drift: the `layers` contract (a package may
import the layers below it, never those above it, nor an independent sibling of its own layer: `ivr | sms`) and the
`forbidden` contracts (the terminal UI imports neither peewee nor kit.db; kit imports no UI, gateway or HTTP package).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def contracts(pyproject: Path = ROOT / "pyproject.toml") -> list[dict[str, Any]]:
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return found


@dataclass
class Rule:
    """What the modules under one package must not import, and the single imports a contract lets through."""

    forbidden: set[str] = field(default_factory=set)
    allowed: set[tuple[str, str]] = field(default_factory=set)  # (importer, imported), as in `ignore_imports`


def rules_of(declared: list[dict[str, Any]]) -> dict[str, Rule]:
    """Each source package's Rule, from import-linter contracts of type `layers` and `forbidden`."""
    rules: dict[str, Rule] = {}

    def rule(package: str, contract: Mapping[str, Any]) -> Rule:
        found = rules.setdefault(package, Rule())
        for expression in contract.get("ignore_imports", []):
            importer, imported = (part.strip() for part in expression.split("->"))
            found.allowed.add((importer, imported))
        return found

    for contract in declared:
        if contract["type"] == "layers":
            layers = [layer.replace(":", "|").split("|") for layer in contract["layers"]]
            independent = ["|" in layer for layer in contract["layers"]]
            for depth, layer in enumerate(layers):
                above = {package.strip() for higher in layers[:depth] for package in higher}
                for package in (name.strip() for name in layer):
                    siblings = {name.strip() for name in layer} - {package} if independent[depth] else set()
                    rule(package, contract).forbidden |= above | siblings
        elif contract["type"] == "forbidden":
            for package in contract["source_modules"]:
                rule(package, contract).forbidden |= set(contract["forbidden_modules"])
    return rules


RULES = rules_of(contracts())


def imported_modules(source: str, package: str = "", filename: str = "<source>") -> Iterator[tuple[int, str]]:
    """(line, absolute dotted name) for every import in `source`: `import x`, each name of `from x import y` as
    "x.y", relative imports resolved against `package`, and `importlib.import_module("x")` / `__import__("x")` with
    a literal name. Imports inside functions and `if TYPE_CHECKING:` blocks count too."""
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = importlib.util.resolve_name("." * node.level + base, package)
            for alias in node.names:
                yield node.lineno, base if alias.name == "*" else f"{base}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def under(name: str, module: str) -> bool:
    """Whether dotted `name` is `module` or below it (kit.db.transaction is under kit.db; kitchen is not under kit)."""
    return name == module or name.startswith(f"{module}.")


def forbidden_imports(
    source: str, rule: Rule, package: str = "", filename: str = "<source>", module: str = ""
) -> list[str]:
    """'line: name' for every import of a forbidden module (or anything below it) that `rule` does not let through
    for `module`, the importing module."""
    return [
        f"{line}: {name}"
        for line, name in imported_modules(source, package, filename)
        if any(under(name, forbidden) for forbidden in rule.forbidden)
        and not any(under(module, importer) and under(name, imported) for importer, imported in rule.allowed)
    ]


def package_of(path: Path, root: Path = ROOT) -> str:
    """The package a file belongs to, by its place below the root: kit/migrations/x.py -> kit.migrations."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts if path.name == "__init__.py" else parts[:-1]).removesuffix(".__init__")


def module_of(path: Path, root: Path = ROOT) -> str:
    """The module a file is: kit/migrations/x.py -> kit.migrations.x; kit/__init__.py -> kit."""
    return ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")


def files_of(module: str, root: Path = ROOT) -> list[Path]:
    """The Python files of a package (all below it) or of a single module."""
    place = root.joinpath(*module.split("."))
    return sorted(place.rglob("*.py")) if place.is_dir() else [place.with_suffix(".py")]


def violations(rules: Mapping[str, Rule], root: Path = ROOT) -> list[str]:
    """'file:line: name' for every import that breaks a rule, over the files below `root`."""
    return [
        f"{path.relative_to(root)}:{found}"
        for source_module, rule in sorted(rules.items())
        for path in files_of(source_module, root)
        for found in forbidden_imports(
            path.read_text(encoding="utf-8"), rule, package_of(path, root), str(path), module_of(path, root)
        )
    ]


# --- the scanner itself -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "found"),
    [
        pytest.param("import aiohttp\n", ["1: aiohttp"], id="import"),
        pytest.param("import aiohttp.web as web\n", ["1: aiohttp.web"], id="import submodule"),
        pytest.param("import os, twilio\n", ["1: twilio"], id="one of several"),
        pytest.param("from aiohttp import web\n", ["1: aiohttp.web"], id="from import"),
        pytest.param("from twilio.rest import Client\n", ["1: twilio.rest.Client"], id="from submodule"),
        pytest.param(
            """
            def send():
                from textual.app import App
                return App
            """,
            ["3: textual.app.App"],
            id="inside a function",
        ),
        pytest.param(
            """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from tui.app import LinliApp
            """,
            ["4: tui.app.LinliApp"],
            id="type checking only",
        ),
        pytest.param("import importlib\nimportlib.import_module('sms.parser')\n", ["2: sms.parser"], id="importlib"),
        pytest.param("__import__('linli.cli')\n", ["1: linli.cli"], id="__import__"),
        pytest.param("from ..tui import screens\nfrom . import sms\n", [], id="relative: kit.tui, kit.sub.sms"),
        pytest.param("import kit.db\nfrom kit import phones\nfrom . import db\n", [], id="kit itself"),
        pytest.param("import smsutil\nimport linlithgow\nimport textualize\n", [], id="names that only start alike"),
        pytest.param("# import aiohttp\nx = 'import aiohttp'\n", [], id="comments and strings"),
    ],
)
def test_the_scanner_finds_forbidden_imports(source: str, found: list[str]) -> None:
    assert forbidden_imports(textwrap.dedent(source), RULES["kit"], package="kit.sub") == found


@pytest.mark.parametrize(
    ("source", "found"),
    [
        pytest.param("from kit import db\n", ["1: kit.db"], id="from kit import db"),
        pytest.param("import kit.db as database\n", ["1: kit.db"], id="import kit.db"),
        pytest.param("from kit.db import transaction\n", ["1: kit.db.transaction"], id="from kit.db"),
        pytest.param("from peewee import fn\n", ["1: peewee.fn"], id="peewee"),
        pytest.param("from kit import views, dbtools\nimport kit.inbox\n", [], id="kit services"),
    ],
)
def test_the_scanner_finds_a_forbidden_module_below_an_allowed_package(source: str, found: list[str]) -> None:
    assert forbidden_imports(source, RULES["tui"], package="tui.dialogs") == found


def test_an_import_a_contract_lets_through_is_allowed_for_that_importer_only() -> None:
    rule = Rule(forbidden={"sms"}, allowed={("ivr.voice", "sms.twilio")})
    source = "from sms.twilio import client\nfrom sms import router\n"
    assert forbidden_imports(source, rule, package="ivr", module="ivr.voice") == ["2: sms.router"]
    assert forbidden_imports(source, rule, package="ivr", module="ivr.calls") == [
        "1: sms.twilio.client",
        "2: sms.router",
    ]


def test_the_scanner_resolves_relative_imports_against_the_package() -> None:
    assert list(imported_modules("from .parser import parse\n", package="sms")) == [(1, "sms.parser.parse")]
    assert list(imported_modules("from ..db import database\n", package="kit.migrations")) == [(1, "kit.db.database")]
    assert list(imported_modules("from . import db\n", package="kit")) == [(1, "kit.db")]


def test_package_and_module_of_a_file() -> None:
    assert package_of(ROOT / "kit" / "db.py") == "kit"
    assert package_of(ROOT / "kit" / "__init__.py") == "kit"
    assert package_of(ROOT / "kit" / "migrations" / "m0001_registry.py") == "kit.migrations"
    assert module_of(ROOT / "kit" / "migrations" / "m0001_registry.py") == "kit.migrations.m0001_registry"
    assert module_of(ROOT / "kit" / "__init__.py") == "kit"


# --- the rules, read from the contracts ----------------------------------------------------------------------------


def test_layers_forbid_the_layers_above_and_independent_siblings() -> None:
    rules = rules_of(
        [
            {"type": "layers", "layers": ["top", "middle : helper", "a | b", "core"], "ignore_imports": ["a.x -> b.y"]},
            {"type": "forbidden", "source_modules": ["core"], "forbidden_modules": ["requests", "a.z"]},
        ]
    )
    assert rules["core"].forbidden == {"top", "middle", "helper", "a", "b", "requests", "a.z"}
    assert rules["a"].forbidden == {"top", "middle", "helper", "b"}
    assert rules["a"].allowed == {("a.x", "b.y")}
    assert rules["middle"].forbidden == {"top"}  # ":" siblings may import each other
    assert rules["top"].forbidden == set()


def test_the_house_rules_are_in_the_contracts() -> None:
    assert {"tui", "sms", "ivr", "linli", "textual", "twilio", "aiohttp"} <= RULES["kit"].forbidden
    assert {"ivr", "tui", "linli"} <= RULES["sms"].forbidden
    assert {"sms", "tui", "linli"} <= RULES["ivr"].forbidden
    assert {"linli", "peewee", "kit.db"} <= RULES["tui"].forbidden


# --- the code ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("package", sorted(RULES))
def test_no_layer_imports_what_it_must_not(package: str) -> None:
    files = files_of(package)
    assert files, f"no Python files under {package}/"
    if package == "kit":
        assert len(files) >= 15  # the scan really walks the core
    assert violations({package: RULES[package]}) == []


def test_the_check_catches_a_module_that_breaks_a_layer(tmp_path: Path) -> None:
    """A synthetic tree where the core imports a channel, one channel the other, and the UI the database."""
    modules = {
        "kit/__init__.py": "",
        "kit/service.py": "import data\nfrom kit import db\n\ndef later():\n    from sms import parser\n",
        "sms/__init__.py": "",
        "sms/handler.py": "from kit.service import later\nfrom ivr.calls import VoiceCalls\n",
        "tui/__init__.py": "",
        "tui/dialog.py": "from kit.views import MessageLine\nfrom kit import db\n",
        "linli/__init__.py": "from tui.dialog import MessageLine\n",
    }
    for name, source in modules.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(source, encoding="utf-8")
    rules = {package: rule for package, rule in RULES.items() if (tmp_path / package).is_dir()}
    assert violations(rules, tmp_path) == [
        "kit/service.py:5: sms.parser",
        "sms/handler.py:2: ivr.calls.VoiceCalls",
        "tui/dialog.py:2: kit.db",
    ]


def lint_imports(cwd: Path, *args: str, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).parent / "lint-imports"
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [str(executable), "--no-cache", "--no-logo", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_linter_contracts_are_kept() -> None:
    names = [contract["name"] for contract in contracts()]
    assert [contract["type"] for contract in contracts()].count("layers") == 1
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in names:
        assert f"{name} KEPT" in result.stdout
    assert f"Contracts: {len(names)} kept, 0 broken." in result.stdout


def test_import_linter_does_catch_a_broken_layer(tmp_path: Path) -> None:
    """The same kind of contract over a tiny project whose core imports its UI and one channel the other must fail."""
    for package, source in {"core": "from ui import screen\n", "a": "from b import thing\n", "b": "", "ui": ""}.items():
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
        (tmp_path / package / "thing.py").write_text(source)
    (tmp_path / "ui" / "screen.py").write_text("")
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [tool.importlinter]
            root_packages = ["core", "a", "b", "ui"]

            [[tool.importlinter.contracts]]
            name = "the layers"
            type = "layers"
            layers = ["ui", "a | b", "core"]
            """
        )
    )
    result = lint_imports(tmp_path, "--config", "pyproject.toml", pythonpath=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the layers BROKEN" in result.stdout
    assert "core.thing -> ui.screen" in result.stdout
    assert "a.thing -> b" in result.stdout
