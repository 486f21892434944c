"""The layer fence: kit is the core and knows nothing of the UI, the gateways or HTTP; the channels know nothing of
the terminal UI. Checked twice: by reading every file's imports here, and by import-linter's contracts."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "kit": {"textual", "tui", "sms", "ivr", "linli", "twilio", "aiohttp"},
    "sms": {"textual", "tui", "linli"},
    "ivr": {"textual", "tui", "linli"},
}


def imported_modules(source: str, package: str = "", filename: str = "<source>") -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in `source`: `import x`, `from x import y`, relative imports
    resolved against `package`, and `importlib.import_module("x")` / `__import__("x")` with a literal name. Imports
    inside functions and `if TYPE_CHECKING:` blocks count too."""
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                relative = "." * node.level + (node.module or "")
                yield node.lineno, importlib.util.resolve_name(relative, package)
            elif node.module:
                yield node.lineno, node.module
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def forbidden_imports(source: str, forbidden: set[str], package: str = "", filename: str = "<source>") -> list[str]:
    """'line: module' for every import of a forbidden top-level package (or anything below it)."""
    return [
        f"{line}: {module}"
        for line, module in imported_modules(source, package, filename)
        if module.split(".")[0] in forbidden
    ]


def package_of(path: Path) -> str:
    """The package a file belongs to, by its place below the repository root: kit/migrations/x.py -> kit.migrations."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts if path.name == "__init__.py" else parts[:-1]).removesuffix(".__init__")


# --- the scanner itself -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "found"),
    [
        pytest.param("import aiohttp\n", ["1: aiohttp"], id="import"),
        pytest.param("import aiohttp.web as web\n", ["1: aiohttp.web"], id="import submodule"),
        pytest.param("import os, twilio\n", ["1: twilio"], id="one of several"),
        pytest.param("from aiohttp import web\n", ["1: aiohttp"], id="from import"),
        pytest.param("from twilio.rest import Client\n", ["1: twilio.rest"], id="from submodule"),
        pytest.param(
            """
            def send():
                from textual.app import App
                return App
            """,
            ["3: textual.app"],
            id="inside a function",
        ),
        pytest.param(
            """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from tui.app import LinliApp
            """,
            ["4: tui.app"],
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
    assert forbidden_imports(textwrap.dedent(source), FORBIDDEN["kit"], package="kit.sub") == found


def test_the_scanner_resolves_relative_imports_against_the_package() -> None:
    assert list(imported_modules("from .parser import parse\n", package="sms")) == [(1, "sms.parser")]
    assert list(imported_modules("from ..db import database\n", package="kit.migrations")) == [(1, "kit.db")]


def test_package_of() -> None:
    assert package_of(ROOT / "kit" / "db.py") == "kit"
    assert package_of(ROOT / "kit" / "__init__.py") == "kit"
    assert package_of(ROOT / "kit" / "migrations" / "m0001_registry.py") == "kit.migrations"


# --- the code ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_layer_imports_what_it_must_not(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no Python files under {package}/"
    if package == "kit":
        assert len(files) >= 15  # the scan really walks the core
    violations = [
        f"{path.relative_to(ROOT)}:{found}"
        for path in files
        for found in forbidden_imports(
            path.read_text(encoding="utf-8"), FORBIDDEN[package], package_of(path), filename=str(path)
        )
    ]
    assert violations == []


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
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = [contract["name"] for contract in config["tool"]["importlinter"]["contracts"]]
    assert len(contracts) >= 2
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in contracts:
        assert f"{name} KEPT" in result.stdout
    assert f"Contracts: {len(contracts)} kept, 0 broken." in result.stdout


def test_import_linter_does_catch_a_broken_contract(tmp_path: Path) -> None:
    """The same kind of contract over a tiny project whose core imports its UI must fail."""
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "__init__.py").write_text("")
    (tmp_path / "core" / "service.py").write_text("from ui import screen\n")
    (tmp_path / "ui").mkdir()
    (tmp_path / "ui" / "__init__.py").write_text("")
    (tmp_path / "ui" / "screen.py").write_text("")
    (tmp_path / "setup.cfg").write_text(
        textwrap.dedent(
            """
            [importlinter]
            root_packages =
                core
                ui

            [importlinter:contract:fence]
            name = core knows nothing of the UI
            type = forbidden
            source_modules = core
            forbidden_modules = ui
            """
        )
    )
    result = lint_imports(tmp_path, "--config", "setup.cfg", pythonpath=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "core knows nothing of the UI BROKEN" in result.stdout
    assert "core.service -> ui.screen" in result.stdout
