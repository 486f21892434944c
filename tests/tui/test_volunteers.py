"""The Volunteers screen: the list with sign-ups first, pause and resume, deactivate after y/n, edit, and a sign-up
approved or declined with a key."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from kit.demo import DemoSummary
from kit.models import Grid, Message, Volunteer
from kit.volunteer_models import VolunteerSignup
from tests.tui.conftest import MakeApp, screen_text, settle
from tui.app import LinliApp
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.volunteer_form import VolunteerForm
from tui.dialogs.volunteer_signup import ApproveDialog, DeclineDialog
from tui.screens.volunteers import VolunteersScreen
from tui.widgets.form_field import FormField

JOINER = "+8613712345678"


@pytest.fixture
def signup(town: DemoSummary) -> VolunteerSignup:
    """A stranger who texted to join, naming an existing grid and a skill."""
    grid = Grid.select().order_by(Grid.name).first()
    return VolunteerSignup.create(
        phone=JOINER, name="赵六", text=f"报名 志愿者 {grid.name} 跑腿", grid=grid.id, skills="errands"
    )


async def open_volunteers(app: LinliApp, pilot: Pilot[None]) -> VolunteersScreen:
    await app.switch_mode("volunteers")
    await settle(pilot)
    assert isinstance(app.screen, VolunteersScreen)
    app.screen.query_one("#volunteers").focus()
    return app.screen


async def highlight(screen: VolunteersScreen, pilot: Pilot[None], key: str) -> None:
    table = screen.query_one("#volunteers", DataTable)
    table.move_cursor(row=table.get_row_index(key))
    await pilot.pause()


def first_volunteer() -> Volunteer:
    found = Volunteer.select().order_by(Volunteer.id).first()
    assert isinstance(found, Volunteer)
    return found


async def test_the_list_shows_sign_ups_first_then_the_volunteers_in_words(
    signup: VolunteerSignup, make_app: MakeApp
) -> None:
    volunteer = first_volunteer()
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_volunteers(app, pilot)
        assert [row.status for row in screen.rows[:2]] == ["pending", "active"]
        assert len(screen.rows) == Volunteer.select().count() + 1
        lines = screen_text(app).splitlines()
        assert "[F7 志愿者]" in lines[0]
        assert lines[1].split()[:4] == ["姓名", "电话", "网格", "技能"]
        assert "赵六" in lines[2] and "待审核" in lines[2] and "跑腿" in lines[2] and signup.grid.name in lines[2]
        assert volunteer.name in lines[3] and "在岗" in lines[3]
        assert "报名短信：" in screen_text(app)  # the detail quotes what they sent
        footer = screen_text(app).splitlines()[-1]
        assert "批准" in footer and "暂停" not in footer  # the keys of a sign-up, not a volunteer's


async def test_p_pauses_and_r_resumes_a_volunteer(town: DemoSummary, make_app: MakeApp) -> None:
    volunteer = first_volunteer()
    app = make_app("en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_volunteers(app, pilot)
        await highlight(screen, pilot, f"volunteer:{volunteer.id}")
        await pilot.press("p")
        await settle(pilot)
        assert Volunteer.get_by_id(volunteer.id).paused_at is not None
        row = next(line for line in screen_text(app).splitlines() if volunteer.name in line)
        assert "PAUSED" in row
        await pilot.press("p")  # paused already: the key is not offered
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert Volunteer.get_by_id(volunteer.id).paused_at is None


async def test_d_deactivates_only_after_yes(town: DemoSummary, make_app: MakeApp) -> None:
    volunteer = first_volunteer()
    app = make_app("en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_volunteers(app, pilot)
        await highlight(screen, pilot, f"volunteer:{volunteer.id}")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert Volunteer.get_by_id(volunteer.id).active
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert not Volunteer.get_by_id(volunteer.id).active
        assert next(row for row in screen.rows if row.id == volunteer.id and not row.is_signup).status == "inactive"


async def test_a_approves_a_sign_up_and_the_person_is_told(signup: VolunteerSignup, make_app: MakeApp) -> None:
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_volunteers(app, pilot)
        await highlight(screen, pilot, f"signup:{signup.id}")
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ApproveDialog)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, VolunteersScreen)
        assert VolunteerSignup.get_by_id(signup.id).status == "approved"
        joined = Volunteer.get(Volunteer.phone == JOINER)
        assert (joined.name, joined.skills) == ("赵六", "errands")
        assert Message.select().where((Message.peer == JOINER) & (Message.direction == "out")).count() == 1
        assert [row.status for row in screen.rows if row.phone == JOINER] == ["active"]


async def test_a_sign_up_without_a_name_asks_for_one(signup: VolunteerSignup, make_app: MakeApp) -> None:
    VolunteerSignup.update(name="").execute()
    app = make_app("en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_volunteers(app, pilot)
        await highlight(screen, pilot, f"signup:{signup.id}")
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ApproveDialog)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog  # still open, the kit's message beside the name
        assert "gave no name" in dialog.query_one("#field-name", FormField).error
        dialog.query_one("#input-name", Input).value = "Zhao Liu"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert Volunteer.get(Volunteer.phone == JOINER).name == "Zhao Liu"


async def test_x_declines_a_sign_up_with_a_reason(signup: VolunteerSignup, make_app: MakeApp) -> None:
    app = make_app("zh")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_volunteers(app, pilot)
        await highlight(screen, pilot, f"signup:{signup.id}")
        await pilot.press("x")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, DeclineDialog)
        dialog.query_one("#input-why", Input).value = "本网格人手已够"
        await pilot.press("ctrl+s")
        await settle(pilot)
    declined = VolunteerSignup.get_by_id(signup.id)
    assert (declined.status, declined.reason) == ("declined", "本网格人手已够")
    assert Volunteer.get_or_none(Volunteer.phone == JOINER) is None


async def test_e_edits_a_volunteer(town: DemoSummary, make_app: MakeApp) -> None:
    volunteer = first_volunteer()
    app = make_app("en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_volunteers(app, pilot)
        await highlight(screen, pilot, f"volunteer:{volunteer.id}")
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, VolunteerForm)
        form.query_one("#input-skills", Input).value = "medical, driving"
        form.query_one("#input-phone", Input).value = "not a number"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "not a phone number" in form.query_one("#field-phone", FormField).error
        form.query_one("#input-phone", Input).value = volunteer.phone
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, VolunteersScreen)
    assert Volunteer.get_by_id(volunteer.id).skills == "medical,driving"


async def test_a_sign_ups_words_are_shown_as_typed(town: DemoSummary, make_app: MakeApp) -> None:
    odd = VolunteerSignup.create(
        phone=JOINER, name="[b]赵六[/]", text="报名 \x1b]0;hi\x07志愿者", grid_asked="[red]9[/]"
    )
    app = make_app("en")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_volunteers(app, pilot)
        shown = screen_text(app)
        assert "[b]赵六[/]" in shown and "␛]0;hi" in shown and "\x1b" not in shown
        await highlight(screen, pilot, f"signup:{odd.id}")
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ApproveDialog)
        assert "[red]9[/]" in screen_text(app)
