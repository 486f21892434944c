"""Two imports at once on PostgreSQL, each on its own connection, never pick the same ids.

SQLite queues writers behind one lock, so this can only go wrong where writers run side by side. The two imports
are held at the moment both have reserved their residents' ids, inside their transactions, so the test does not
depend on how the threads happen to be scheduled: ids picked as MAX(id) + 1 would be the same for both.
"""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import peewee
import pytest

import kit.importer
from kit import db
from kit.bulk import reserve_ids
from kit.importer import ImportResult, import_residents
from kit.models import Community, Grid, Household, Resident, ResidentTag
from kit.residents import ResidentInput, add_resident

HEADER = ["姓名", "手机", "网格", "楼栋", "单元", "房号", "标签"]
PER_FILE = 150


def register(path: Path, first_phone: int, building: str) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """A register of PER_FILE residents in one building; returns phone -> (name, room, tags) as written."""
    people: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(PER_FILE):
            phone = f"+86138{first_phone + n:08d}"
            name, room, tags = f"居民{building}-{n}", f"{100 + n}", ("独居老人",) if n % 3 == 0 else ()
            writer.writerow([name, phone[3:], "东区" if n % 2 else "西区", building, "1", room, ",".join(tags)])
            people[phone] = (name, room, tags)
    return people


@pytest.mark.parametrize("database_backend", ["postgresql"], indirect=True)
def test_two_imports_at_once_get_different_ids(
    community: Community, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Grid.create(name="东区")
    Grid.create(name="西区")
    files = {"1": tmp_path / "one.csv", "2": tmp_path / "two.csv"}
    written = {**register(files["1"], 1_000, "1"), **register(files["2"], 2_000, "2")}

    both_reserved = threading.Barrier(2, timeout=10)
    real_reserve = reserve_ids

    def reserve_then_wait(model: type[peewee.Model], count: int) -> list[int]:
        ids = real_reserve(model, count)
        if model is Resident:
            both_reserved.wait()  # neither has inserted a resident yet; both hold their transactions open
        return ids

    monkeypatch.setattr(kit.importer, "reserve_ids", reserve_then_wait)
    results: dict[str, ImportResult | BaseException] = {}

    def run(key: str) -> None:
        try:
            results[key] = import_residents(files[key], actor=f"operator {key}")
        except BaseException as error:
            both_reserved.abort()
            results[key] = error
        finally:
            db.database.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(key,)) for key in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    assert [getattr(results[key], "imported", results[key]) for key in files] == [PER_FILE, PER_FILE]
    stored = {
        phone: (name, room)
        for phone, name, room in Resident.select(Resident.phone, Resident.name, Household.room).join(Household).tuples()
    }
    assert stored == {phone: (name, room) for phone, (name, room, _) in written.items()}
    tagged = {
        phone
        for (phone,) in Resident.select(Resident.phone)
        .join(ResidentTag)
        .where(ResidentTag.tag == "elderly-alone")
        .tuples()
    }
    assert tagged == {phone for phone, (_, _, tags) in written.items() if tags}
    assert Household.select().count() == 2 * PER_FILE

    later = add_resident(ResidentInput(name="新来的", phone="+8613900000001"))  # the sequence is past them all
    assert later.id > max(resident.id for resident in Resident.select(Resident.id).where(Resident.id != later.id))
