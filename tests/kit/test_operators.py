"""Operators: PIN hashes, signing in, the first admin and the last one, the permission table, the shift summary."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kit import audit, clock, operators, ui_words
from kit.alerts import raise_alert
from kit.errors import Conflict, NotAllowed, ValidationError
from kit.models import OPERATOR_ROLES, Community, Operator
from kit.operators import (
    add_operator,
    authenticate,
    deactivate_operator,
    hash_pin,
    login_required,
    needs_rehash,
    remove_operator,
    set_pin,
    set_role,
    verify_pin,
)
from kit.outbox import mark_handled, record_inbound
from kit.permissions import (
    CHANGE_RESIDENTS,
    EXPORT_PERSONAL_DATA,
    MANAGE_GATEWAYS,
    MANAGE_OPERATORS,
    READ_AUDIT,
    RESTORE,
    RULES,
    SEND_NOTICES,
    VIEW,
    WORK,
    allowed,
    require,
)
from kit.shifts import current_shift, shift_summary, start_shift
from kit.tasks import create_task

# --- hashing -------------------------------------------------------------------------------------------------


def test_a_pin_is_stored_as_a_salted_scrypt_hash_with_its_parameters() -> None:
    stored = hash_pin("246810")
    scheme, n, r, p, _salt, _key = stored.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", operators.SCRYPT_N, operators.SCRYPT_R, operators.SCRYPT_P)
    assert "246810" not in stored
    assert hash_pin("246810") != stored  # a fresh salt each time
    assert verify_pin("246810", stored)
    assert not verify_pin("246811", stored)
    assert not verify_pin("", stored)


def test_a_malformed_hash_never_verifies() -> None:
    assert not verify_pin("246810", "")
    assert not verify_pin("246810", "plain$246810")
    assert not verify_pin("246810", "scrypt$x$8$1$AAAA$AAAA")


def test_weaker_parameters_are_rehashed_at_the_next_sign_in(community: Community) -> None:
    add_operator("王芳", "246810", role="admin")
    weak = operators._scrypt("246810", b"0123456789abcdef", 2**10, 8, 1)
    import base64

    old = "$".join(
        ["scrypt", "1024", "8", "1", base64.b64encode(b"0123456789abcdef").decode(), base64.b64encode(weak).decode()]
    )
    Operator.update(pin_hash=old).execute()
    assert needs_rehash(old)
    authenticate("王芳", "246810")
    stored = Operator.get().pin_hash
    assert stored.startswith(f"scrypt${operators.SCRYPT_N}$") and not needs_rehash(stored)
    assert verify_pin("246810", stored)


@pytest.mark.parametrize("pin", ["", "      ", "12345"])
def test_empty_and_short_pins_are_refused(community: Community, pin: str) -> None:
    with pytest.raises(ValidationError) as caught:
        add_operator("王芳", pin, role="admin")
    assert caught.value.field == "pin"
    assert not login_required()


# --- the register ------------------------------------------------------------------------------------------------


def test_without_operators_nobody_signs_in_and_everything_is_allowed(community: Community) -> None:
    assert not login_required()
    for action in RULES:
        require(None, action)


def test_the_first_operator_must_be_an_admin(community: Community) -> None:
    with pytest.raises(ValidationError, match="first operator must be an admin"):
        add_operator("李明", "135790", role="viewer")
    add_operator("王芳", "246810", role="admin")
    assert login_required()
    assert add_operator("李明", "135790", role="viewer").role == "viewer"


def test_names_are_unique_and_plain(community: Community) -> None:
    add_operator("王芳", "246810", role="admin")
    with pytest.raises(Conflict):
        add_operator(" 王芳 ", "246810")
    for bad in ("[b]boss[/b]", "anna\x1b]0;x\x07", "   "):
        with pytest.raises(ValidationError):
            add_operator(bad, "246810")


def test_the_last_active_admin_cannot_leave_while_others_remain(community: Community) -> None:
    add_operator("王芳", "246810", role="admin")
    add_operator("李明", "135790", role="operator")
    for leave in (deactivate_operator, remove_operator):
        with pytest.raises(Conflict, match="last active admin"):
            leave("王芳")
    with pytest.raises(Conflict):
        set_role("王芳", "viewer")
    set_role("李明", "admin", actor="王芳")
    deactivate_operator("王芳", actor="李明")
    remove_operator("李明", actor="李明")  # the only one left: back to no sign-in at all
    assert not login_required()


def test_changes_to_operators_are_in_the_audit_trail(community: Community) -> None:
    add_operator("王芳", "246810", role="admin", actor="cli")
    add_operator("李明", "135790", role="viewer", actor="王芳")
    set_pin("李明", "999888", actor="王芳")
    done = [(e.actor, e.action, e.entity) for e in audit.entries(actor="王芳")]
    assert done == [("王芳", "add", "operator"), ("王芳", "set-pin", "operator")]
    assert "135790" not in " ".join(e.detail for e in audit.entries())


# --- signing in --------------------------------------------------------------------------------------------------


def test_the_right_pin_signs_in_and_a_wrong_one_is_refused_and_recorded(community: Community) -> None:
    add_operator("王芳", "246810", role="admin")
    assert authenticate(" 王芳", "246810").name == "王芳"
    with pytest.raises(NotAllowed, match="Wrong PIN for 王芳"):
        authenticate("王芳", "246811")
    assert [e.action for e in audit.entries(actor="王芳")] == ["wrong-pin"]
    with pytest.raises(NotAllowed, match="No active operator named 'nobody'"):
        authenticate("nobody", "246810")


def test_a_deactivated_operator_cannot_sign_in(community: Community) -> None:
    add_operator("王芳", "246810", role="admin")
    add_operator("李明", "135790", role="operator")
    deactivate_operator("李明")
    with pytest.raises(NotAllowed, match="No active operator"):
        authenticate("李明", "135790")


def test_after_five_wrong_pins_even_the_right_one_waits(community: Community, fixed_clock: clock.FixedClock) -> None:
    add_operator("王芳", "246810", role="admin")
    for _ in range(operators.MAX_WRONG_PINS):
        with pytest.raises(NotAllowed, match="Wrong PIN"):
            authenticate("王芳", "000000")
    with pytest.raises(NotAllowed, match="Too many wrong PINs"):
        authenticate("王芳", "246810")
    fixed_clock.advance(minutes=16)
    assert authenticate("王芳", "246810").name == "王芳"


def test_a_new_pin_ends_the_lockout(community: Community) -> None:
    add_operator("王芳", "246810", role="admin")
    for _ in range(operators.MAX_WRONG_PINS):
        with pytest.raises(NotAllowed):
            authenticate("王芳", "000000")
    set_pin("王芳", "13572468")
    assert authenticate("王芳", "13572468").name == "王芳"


# --- the permission table ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "may", "may_not"),
    [
        ("viewer", {VIEW}, {CHANGE_RESIDENTS, SEND_NOTICES, EXPORT_PERSONAL_DATA, WORK, MANAGE_OPERATORS, RESTORE}),
        (
            "operator",
            {VIEW, CHANGE_RESIDENTS, SEND_NOTICES, EXPORT_PERSONAL_DATA, WORK, READ_AUDIT},
            {MANAGE_OPERATORS, MANAGE_GATEWAYS, RESTORE},
        ),
        ("admin", set(RULES), set()),
    ],
)
def test_each_role_may_do_what_the_table_says(role: str, may: set[str], may_not: set[str]) -> None:
    assert {action for action in RULES if allowed(role, action)} == may
    assert not any(allowed(role, action) for action in may_not)


def test_a_refusal_names_the_operator_the_role_and_what_to_do(community: Community) -> None:
    add_operator("王芳", "246810", role="admin")
    add_operator("李明", "135790", role="viewer")
    viewer = Operator.get(Operator.name == "李明")
    with pytest.raises(NotAllowed) as caught:
        require(viewer, SEND_NOTICES)
    assert str(caught.value) == "李明 is a viewer and may not send notices; ask an admin or operator."
    assert caught.value.text("zh") == "李明是只读用户，不能发送通知；请找管理员或值班员。"
    require(viewer, VIEW)
    with pytest.raises(ValueError, match="unknown action"):
        require(viewer, "launch_rockets")


@pytest.mark.parametrize("language", ui_words.languages())
def test_every_action_and_role_has_words_for_a_refusal(language: str) -> None:
    words = ui_words.table(language)
    missing = [f"what.{action}" for action in RULES if f"errors.permissions.what.{action}" not in words]
    missing += [f"role.{role}" for role in OPERATOR_ROLES if f"errors.permissions.role.{role}" not in words]
    missing += [f"who.{role}" for role in OPERATOR_ROLES if f"errors.permissions.who.{role}" not in words]
    assert not missing


# --- shifts --------------------------------------------------------------------------------------------------------


def test_the_shift_summary_counts_what_came_in_since_the_shift_started_and_what_is_open(
    community: Community, fixed_clock: clock.FixedClock
) -> None:
    add_operator("王芳", "246810", role="admin")
    add_operator("李明", "135790", role="operator")
    raise_alert("fever", "before the shift", key="old")
    fixed_clock.advance(minutes=5)
    start_shift(Operator.get(Operator.name == "王芳"))
    fixed_clock.advance(hours=2)
    raise_alert("red", "during the shift", key="new")
    create_task("errand", need="buy rice", due_at=clock.utcnow() - timedelta(minutes=1), actor="王芳")  # + an alert
    unread, _ = record_inbound(gateway="simulator", provider_id="m1", peer="+8613800000001", body="???")
    mark_handled(unread.id, {"intent": "unknown"})
    record_inbound(gateway="simulator", provider_id="m2", peer="+8613800000001", body="1")  # not handled yet
    summary = shift_summary()
    assert summary.previous == "王芳"
    assert (summary.alerts, summary.tasks, summary.replies) == (2, 1, 2)
    assert (summary.open_alerts, summary.unassigned_tasks, summary.overdue_tasks) == (3, 1, 1)
    assert (summary.unhandled_inbox, summary.unparsed_inbox) == (1, 1)
    fixed_clock.advance(minutes=1)
    shift = start_shift(Operator.get(Operator.name == "李明"), handed_over_by="王芳")
    assert current_shift() == shift and shift.operator == "李明"
    assert shift_summary().alerts == 0
