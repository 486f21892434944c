"""The door-knock sheets the TUI prints are readable by their owner only, in a folder only they can open."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kit.models import Community
from tui.printing import write_door_knock_list


@pytest.mark.parametrize("name", ["door-knock.txt", "door-knock.html"])
def test_a_door_knock_sheet_is_private(community: Community, tmp_path: Path, name: str) -> None:
    previous = os.umask(0o022)  # the usual umask: a sheet written without care would be readable by all
    try:
        written = write_door_knock_list(tmp_path / "sheets" / name)
    finally:
        os.umask(previous)
    assert written.read_text(encoding="utf-8").strip()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE(written.parent.stat().st_mode) == 0o700
