"""What each operator role may do: one rule table, read by the CLI, the TUI and the kit alike.

Decisions:
- Three roles. A viewer watches (every screen, every list) and changes nothing; an operator does the daily work
  (residents, tasks, alerts, replies, notices, rounds, exports); an admin also manages operators, gateways and
  restores. Each action names the roles allowed, so a reader sees the whole policy in `RULES` at once.
- Exports and backups are personal data leaving the kit (names, phones, health): viewers may not make them.
- The audit trail says who did what to whom; it is for those who act (operators and admins), not for viewers.
- The words an operator reads when refused (their role, what they may not do, who may) are in
  data/ui/*/errors_people.toml, `[errors.permissions]`, one `what` per action.
- With no operator at all (`operator` None: a single-operator community that never set any up) everything is
  allowed, as before operators existed. `kit.operators.login_required` says when that ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kit import ui_words
from kit.errors import NotAllowed
from kit.models import Operator

ADMIN, OPERATOR, VIEWER = "admin", "operator", "viewer"
EVERYONE = frozenset({ADMIN, OPERATOR, VIEWER})
STAFF = frozenset({ADMIN, OPERATOR})
ADMINS = frozenset({ADMIN})

VIEW = "view"
CHANGE_RESIDENTS = "change_residents"
WORK = "work"  # tasks, alerts, replies, corrections, volunteers, check-in rounds
SEND_NOTICES = "send_notices"
EXPORT_PERSONAL_DATA = "export_personal_data"
READ_AUDIT = "read_audit"
MANAGE_OPERATORS = "manage_operators"
MANAGE_GATEWAYS = "manage_gateways"
RESTORE = "restore"
MANAGE_DISTRICT = "manage_district"  # on a district's server: its communities and their tokens


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]


RULES: dict[str, Rule] = {
    VIEW: Rule(EVERYONE),
    CHANGE_RESIDENTS: Rule(STAFF),
    WORK: Rule(STAFF),  # tasks, alerts, messages, volunteers or check-in rounds
    SEND_NOTICES: Rule(STAFF),
    EXPORT_PERSONAL_DATA: Rule(STAFF),  # export or back up personal data
    READ_AUDIT: Rule(STAFF),
    MANAGE_OPERATORS: Rule(ADMINS),
    MANAGE_GATEWAYS: Rule(ADMINS),
    RESTORE: Rule(ADMINS),
    MANAGE_DISTRICT: Rule(ADMINS),  # add or revoke the district's communities and their tokens
}


def allowed(role: str, action: str) -> bool:
    """True when `role` may do `action`; an unknown action is refused to everybody."""
    rule = RULES.get(action)
    return rule is not None and role in rule.roles


def require(operator: Operator | None, action: str) -> None:
    """Raise NotAllowed unless `operator` may do `action` (None: no operators are set up, anything goes)."""
    if action not in RULES:
        raise ValueError(f"unknown action {action!r}; add it to kit.permissions.RULES")
    if operator is None:
        return
    if not operator.active:
        raise NotAllowed("permissions.deactivated", name=operator.name)
    if not allowed(operator.role, action):
        raise NotAllowed(
            "permissions.refused",
            name=operator.name,
            role=_words(f"role.{operator.role}"),
            what=_words(f"what.{action}"),
            who=_who(sorted(RULES[action].roles)),
        )


def _words(key: str) -> Callable[[str], str]:
    return ui_words.later(f"errors.permissions.{key}")


def _who(roles: list[str]) -> Callable[[str], str]:
    """The roles that may, as a language names them: "admin or operator", "管理员或值班员"."""
    return lambda language: ui_words.text(language, "errors.permissions.or_word").join(
        ui_words.text(language, f"errors.permissions.who.{role}") for role in roles
    )
