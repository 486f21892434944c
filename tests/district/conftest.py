"""Fixtures for the district: a community with names and phones, the district's server on a loopback port, and the
community's token. The community and the district share the test's database (each keeps to its own tables)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kit.checkin import record_answer, start_round
from kit.config import CheckinSettings, DistrictSettings
from kit.district import PushReceipt, add_community, receive_push
from kit.models import Community
from kit.reports import record_report
from kit.residents import ResidentInput, add_resident
from linli.district.server import ENDPOINT, DistrictServer

TODAY = date(2026, 11, 20)  # the fixed clock's local day in Shanghai
GRIDS = 10
NAMES = ["王芳", "李建国", "陈秀英"]


def person(grid: int, number: int) -> ResidentInput:
    return ResidentInput(
        name=f"{NAMES[number]}{grid}",
        phone=f"+86138{grid:04d}{number:04d}",
        second_phone=f"+86139{grid:04d}{number:04d}",
        grid=f"第{grid}网格",
        building=f"幸福楼{grid}",
        unit="单元A",
        room=f"房{grid}{number}",
        notes=f"备注{grid}{number}",
    )


@pytest.fixture
def neighbourhood(community: Community) -> list[ResidentInput]:
    """Ten grids of three residents, every one with a name, two phones and an address; today's round started,
    and some answers in."""
    people = [person(grid, number) for grid in range(1, GRIDS + 1) for number in range(len(NAMES))]
    ids = [add_resident(one).id for one in people]
    start_round(settings=CheckinSettings())
    record_report(ids[0], "well", text="1")
    record_answer(ids[0], "well")
    record_report(ids[4], "unwell", temperature_c=38.6, text="2 38.6")
    record_answer(ids[4], "unwell")
    return people


@pytest.fixture
def district_settings() -> DistrictSettings:
    return DistrictSettings(max_age_days=400)


@pytest.fixture
def server(database: Path | str, district_settings: DistrictSettings) -> Iterator[DistrictServer]:
    with DistrictServer(district_settings) as running:
        yield running


@pytest.fixture
def token(database: Path | str) -> str:
    return add_community("幸福里社区", actor="test")[1]


@pytest.fixture
def push_settings(server: DistrictServer, token: str) -> DistrictSettings:
    """The community's side: where its district is and its token."""
    return DistrictSettings(url=server.url, token=token)


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every request body the district's server receives, as it arrived."""
    import linli.district.server as server_module

    bodies: list[bytes] = []
    receive = receive_push

    def recording(token: str | None, raw: bytes, **options: Any) -> PushReceipt:
        bodies.append(raw)
        return receive(token, raw, **options)

    monkeypatch.setattr(server_module, "receive_push", recording)
    return bodies


def post(url: str, token: str | None, raw: bytes) -> tuple[int, dict[str, Any]]:
    """POST `raw` to the server's figures endpoint; (status, the JSON answer)."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url + ENDPOINT, data=raw, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
