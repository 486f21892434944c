"""The simulator can speak as a volunteer (完成 12) and as a number Linli does not know, not only as a resident."""

from __future__ import annotations

from kit.demo import DemoSummary
from kit.models import Task, Volunteer
from kit.resident_search import find_residents
from kit.tasks import create_task
from tests.tui.conftest import MakeApp, settle
from tui.screens.simulator import SimulatorScreen


async def test_a_volunteer_finishes_a_task_from_the_simulator(town: DemoSummary, make_app: MakeApp) -> None:
    resident = next(view for view in find_residents(limit=50) if view.phone and view.grid)
    task = create_task("errand", resident_id=resident.id, need="买药", actor="test")
    volunteer = Volunteer.get_by_id(task.volunteer_id)
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("simulator")
        await settle(pilot)
        simulator = app.screen
        assert isinstance(simulator, SimulatorScreen)
        await pilot.press(*volunteer.name)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert simulator.resident is not None and simulator.resident.kind == "volunteer"
        assert simulator.resident.phone == volunteer.phone
        assert simulator.query_one("#keys").disabled  # calls are for residents
        await pilot.press(*f"完成 {task.id}", "enter")
        await settle(pilot)
    assert Task.get_by_id(task.id).state == "done"


async def test_an_unknown_number_can_be_tried(town: DemoSummary, make_app: MakeApp) -> None:
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.switch_mode("simulator")
        await settle(pilot)
        simulator = app.screen
        assert isinstance(simulator, SimulatorScreen)
        await pilot.press(*"13612345678", "enter")
        await settle(pilot)
        assert simulator.resident is not None and simulator.resident.kind == "unknown"
        assert simulator.resident.phone == "+8613612345678"
