"""The CLI never prints text from outside raw: tables, cards, sentences and errors show control characters as
symbols; JSON escapes them (and still reads back exactly); an export keeps the exact data, except what it shows on
a terminal."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kit.models import Community
from kit.plaintext import visible
from kit.residents import ResidentInput, add_resident, get_resident
from kit.volunteers import add_volunteer
from linli.cli.output import Coloured, echo_card, format_table, json_text
from sms.router import handle
from tests.cli_run import Run
from tests.kit.test_plaintext import acts_on_a_terminal

TITLE = "\x1b]0;pwned\x07"
CLIPBOARD = "\x1b]52;c;ZWNobyBoYWNrZWQ=\x07"
CLEAR = "\x1b[2J"
NAME = f"{TITLE}王[/]"
SHOWN_NAME = "␛]0;pwned␇王[/]"
NOTES = f"门口{CLIPBOARD}\u202e{CLEAR}"
SHOWN_NOTES = "门口␛]52;c;ZWNobyBoYWNrZWQ=␇␦␛[2J"


def assert_plain(output: str) -> None:
    """Nothing in `output` acts on a terminal: no control character but the line feed, no bidi override."""
    controls = [c for c in output if acts_on_a_terminal(c, multiline=True)]
    assert controls == [], controls


@pytest.fixture
def hostile(community: Community) -> int:
    """A resident and a volunteer whose names and notes are escape sequences and markup; returns the resident's id."""
    resident = add_resident(
        ResidentInput(name=NAME, phone="13800000001", grid=f"网格{CLEAR}", building="1", notes=NOTES), actor="test"
    )
    add_volunteer(f"李{CLIPBOARD}", "13900000009", grids=[f"网格{CLEAR}"], actor="test")
    return int(resident.id)


@pytest.fixture
def on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("linli.cli.exporting.stdout_is_terminal", lambda: True)


def test_residents_list_show_and_search_show_names_as_symbols(run: Run, hostile: int) -> None:
    for args in (("residents", "list"), ("residents", "show", hostile), ("residents", "search", "王")):
        result = run(*args)
        assert result.exit_code == 0, result.output
        assert_plain(result.stdout)
        assert SHOWN_NAME in result.stdout and "网格␛[2J" in result.stdout
    assert SHOWN_NOTES in run("residents", "show", hostile).stdout


def test_json_is_exact_and_inert(run: Run, hostile: int) -> None:
    for args in (("residents", "list", "--json"), ("residents", "search", "王", "--json")):
        result = run(*args)
        assert_plain(result.stdout)
        (resident,) = json.loads(result.stdout)
        assert (resident["name"], resident["notes"]) == (NAME, NOTES)
    shown = run("residents", "show", hostile, "--json")
    assert_plain(shown.stdout)
    assert json.loads(shown.stdout)["notes"] == NOTES


def test_a_search_that_quotes_an_escape_sequence(run: Run, hostile: int) -> None:
    result = run("residents", "search", f"nobody{CLEAR}")
    assert result.stdout == "没有与“nobody␛[2J”相符的居民。\n"


def test_sentences_that_quote_names(run: Run, hostile: int) -> None:
    added = run("residents", "add", "--name", f"赵{TITLE}", "--phone", "13800000002")
    assert_plain(added.stdout)
    assert "赵␛]0;pwned␇" in added.stdout
    status = run("residents", "set-status", "13800000002", "red")
    assert status.stdout.startswith("居民 #") and "赵␛]0;pwned␇：健康状态 红" in status.stdout
    volunteer = run("volunteers", "add", "--name", f"钱{CLEAR}", "--phone", "13900000008", "--grid", f"网格{CLEAR}")
    assert_plain(volunteer.stdout)
    assert "钱␛[2J" in volunteer.stdout
    listed = run("volunteers", "list")
    assert_plain(listed.stdout)
    assert "李␛]52;c;ZWNobyBoYWNrZWQ=␇" in listed.stdout


def test_an_error_that_quotes_a_value_is_one_plain_line(run: Run, hostile: int) -> None:
    result = run("residents", "show", f"{TITLE}123")
    assert result.exit_code == 2
    assert_plain(result.stderr)
    assert len(result.stderr.splitlines()) == 1


def test_parse_reads_the_need_without_the_escapes_and_shows_the_rest_as_symbols(run: Run) -> None:
    result = run("parse", f"3 买药{TITLE}")
    assert_plain(result.stdout)
    assert "需要：买药\n" in result.stdout
    as_json = run("parse", f"3 买药{TITLE}\u202e 送到门口", "--json")
    assert_plain(as_json.stdout)
    assert json.loads(as_json.stdout)["text"] == "买药 送到门口"


def test_status_shows_grid_names_as_symbols(run: Run, hostile: int) -> None:
    result = run("status")
    assert result.exit_code == 0, result.output
    assert_plain(result.stdout)
    assert "网格␛[2J 1" in result.stdout and "绿 1" in result.stdout


# --- export ----------------------------------------------------------------------------------------------------


def test_csv_on_a_terminal_shows_symbols(run: Run, hostile: int, on_a_terminal: None) -> None:
    result = run("export", "residents")
    assert_plain(result.stdout)
    assert SHOWN_NAME in result.stdout and SHOWN_NOTES in result.stdout


def test_csv_into_a_pipe_or_a_file_is_exact(run: Run, hostile: int, tmp_path: Path) -> None:
    piped = run("export", "residents")
    (row,) = csv.DictReader(io.StringIO(piped.stdout))
    assert (row["姓名"], row["备注"]) == (NAME, NOTES)
    target = tmp_path / "residents.csv"
    run("export", "residents", "-o", target)
    (row,) = csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig")))
    assert (row["姓名"], row["备注"]) == (NAME, NOTES)


@pytest.mark.parametrize("terminal", [True, False])
def test_json_export_is_exact_and_inert_everywhere(
    run: Run, hostile: int, monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    monkeypatch.setattr("linli.cli.exporting.stdout_is_terminal", lambda: terminal)
    result = run("export", "residents", "--format", "json")
    assert_plain(result.stdout)
    (row,) = json.loads(result.stdout)
    assert (row["name"], row["notes"]) == (NAME, NOTES)


def test_messages_export_on_a_terminal_shows_symbols(run: Run, hostile: int, on_a_terminal: None) -> None:
    handle("simulator", "SM-1", "+8613800000001", f"3 买药{TITLE}")
    result = run("export", "messages", "--direction", "in")
    assert_plain(result.stdout)
    assert "3 买药␛]0;pwned␇" in result.stdout


# --- any text ---------------------------------------------------------------------------------------------------

hostile_text: st.SearchStrategy[str] = st.lists(
    st.one_of(
        st.sampled_from([TITLE, CLIPBOARD, CLEAR, "[/]", "[bold]", "\u202e", "\r\n", "\x9b", "\x7f", "\udcff"]),
        st.text(max_size=6),
    ),
    max_size=8,
).map("".join)


@given(cells=st.lists(hostile_text, min_size=1, max_size=4))
def test_tables_and_cards_show_any_text_as_symbols(cells: list[str]) -> None:
    lines = format_table([f"H{i}" for i in range(len(cells))], [cells, [Coloured(c, "red") for c in cells]])
    assert_plain("\n".join(lines).replace("\x1b[31m", "").replace("\x1b[1m", "").replace("\x1b[0m", ""))
    for cell in cells:
        assert visible(cell).rstrip() in lines[1]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        echo_card([(f"L{i}", cell) for i, cell in enumerate(cells)])
    assert_plain(printed.getvalue())


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    value=st.recursive(
        hostile_text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
        max_leaves=6,
    )
)
def test_json_of_any_text_reads_back_exactly_and_is_inert(value: object) -> None:
    text = json_text(value)
    assert_plain(text)
    assert json.loads(text) == value


def no_surrogates(text: str) -> str:
    """What a database can store (an undecodable byte in an argument is another matter)."""
    return "".join(c for c in text if unicodedata.category(c) != "Cs")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=hostile_text.map(no_surrogates), notes=hostile_text.map(no_surrogates))
def test_residents_show_prints_any_name_as_symbols(run: Run, community: Community, name: str, notes: str) -> None:
    if not " ".join(name.split()):
        return  # a name of blanks is refused
    result = run("residents", "add", "--name", name, "--notes", notes)
    assert result.exit_code == 0, result.output
    resident = result.stdout.split("#", 1)[1].split("：", 1)[0]  # 已登记居民 #12：...
    shown = run("residents", "show", resident)
    assert_plain(result.stdout + shown.stdout)
    stored = get_resident(resident)
    assert f"{visible(stored.name)}\n" in shown.stdout and visible(stored.notes) in shown.stdout


def test_import_problems_quote_cells_as_symbols(run: Run, community: Community, tmp_path: Path) -> None:
    register = tmp_path / "register.csv"
    register.write_text(f"姓名,手机号码\r\n王秀英,138{TITLE}\r\n李建国,13700137000\r\n", encoding="utf-8")
    skipped = run("import", "residents", register, "--skip-invalid")
    assert_plain(skipped.stderr + skipped.stdout)
    assert "␛]0;pwned␇" in skipped.stderr
    refused = run("import", "residents", register)
    assert refused.exit_code == 2
    assert_plain(refused.stderr)
    assert "␛]0;pwned␇" in refused.stderr
