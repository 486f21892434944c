"""Operators: who runs the kit, their role, and their PIN or passphrase (kept only as a salted scrypt hash).

Decisions:
- Bootstrapping: while no active operator exists, nobody signs in and every command and screen works as before
  (a one-person community is never forced to log in; actions are recorded as "cli" or "operator"). The first
  operator added must be an admin. From then on the CLI and the TUI ask who is on duty (`login_required`), and the
  last active admin cannot be removed or deactivated while anyone else is active, so the admin tasks never become
  unreachable. Removing every operator returns to the first state.
- PINs are hashed with `hashlib.scrypt` (the standard library; no new dependency) with a random 16-byte salt per
  operator, and compared in constant time. The cost parameters are stored with each hash
  ("scrypt$n$r$p$salt$hash"), so raising `SCRYPT_N` later rehashes each PIN at its owner's next sign-in.
- A PIN is at least `MIN_PIN_LENGTH` characters: six digits, or a passphrase.
- Wrong PINs are written to the audit trail; after `MAX_WRONG_PINS` within `LOCKOUT` a name is refused even with
  the right PIN until the window has passed (or an admin sets a new PIN), which makes guessing slow.
- Names are shown in terminals and in the audit trail, so they may not hold control characters or square brackets.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import peewee

from kit import audit
from kit.clock import utcnow
from kit.db import transaction
from kit.errors import Conflict, NotAllowed, NotFound, ValidationError
from kit.jsonable import record_dict
from kit.models import OPERATOR_ROLES, AuditEntry, Operator
from kit.permissions import ADMIN

MIN_PIN_LENGTH = 6
MAX_NAME_LENGTH = 40
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1  # about 0.1 s and 32 MB per check on a cheap laptop
SALT_BYTES, KEY_BYTES = 16, 32
MAX_WRONG_PINS = 5
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class OperatorView:
    id: int
    name: str
    role: str
    active: bool
    created_at: datetime

    def as_dict(self) -> dict[str, object]:
        return record_dict(self)


def view_of(operator: Operator) -> OperatorView:
    return OperatorView(operator.id, operator.name, operator.role, bool(operator.active), operator.created_at)


# --- PINs ------------------------------------------------------------------------------------------------------


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        pin.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES, maxmem=256 * r * n + 1024 * 1024
    )


def hash_pin(pin: str) -> str:
    """The stored form of `pin`: its cost parameters, a fresh salt and the scrypt hash."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    encoded = [base64.b64encode(part).decode("ascii") for part in (salt, key)]
    return "$".join(["scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), *encoded])


def _parts(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return None
        return int(n), int(r), int(p), base64.b64decode(salt), base64.b64decode(key)
    except ValueError:
        return None


def verify_pin(pin: str, stored: str) -> bool:
    """True when `pin` matches the stored hash (compared in constant time); False for a malformed hash."""
    parts = _parts(stored)
    if parts is None:
        return False
    n, r, p, salt, key = parts
    return hmac.compare_digest(_scrypt(pin, salt, n, r, p), key)


def needs_rehash(stored: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    parts = _parts(stored)
    return parts is None or (parts[0], parts[1], parts[2]) < (SCRYPT_N, SCRYPT_R, SCRYPT_P)


def check_pin(pin: str) -> str:
    """The PIN as given when it is long enough, else ValidationError."""
    if not pin or not pin.strip():
        raise ValidationError("operators.pin_empty", field="pin")
    if len(pin) < MIN_PIN_LENGTH:
        raise ValidationError("operators.pin_short", length=len(pin), least=MIN_PIN_LENGTH, field="pin")
    return pin


# --- the register ----------------------------------------------------------------------------------------------


def check_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationError("operators.no_name", field="name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise ValidationError("operators.name_too_long", most=MAX_NAME_LENGTH, field="name")
    if any(unicodedata.category(ch).startswith("C") or ch in "[]" for ch in cleaned):
        raise ValidationError("operators.name_bad_characters", field="name")
    return cleaned


def check_role(role: str) -> str:
    value = role.strip().lower()
    if value not in OPERATOR_ROLES:
        raise ValidationError("operators.unknown_role", role=role, roles=", ".join(OPERATOR_ROLES), field="role")
    return value


def login_required() -> bool:
    """True once an active operator exists: from then on the CLI and the TUI ask who is on duty."""
    return bool(Operator.select().where(Operator.active == True).exists())  # noqa: E712 (peewee)


def list_operators(*, include_inactive: bool = True) -> list[OperatorView]:
    query = Operator.select().order_by(Operator.name)
    if not include_inactive:
        query = query.where(Operator.active == True)  # noqa: E712
    return [view_of(row) for row in query]


def get_operator(name: str) -> Operator:
    operator = Operator.get_or_none(Operator.name == " ".join(name.split()))
    if operator is None:
        raise NotFound("operators.not_found", name=name)
    return operator


def add_operator(name: str, pin: str, *, role: str = "operator", actor: str = "cli") -> OperatorView:
    name, role, pin = check_name(name), check_role(role), check_pin(pin)
    stored = hash_pin(pin)  # slow: outside the write transaction
    with transaction():
        if Operator.get_or_none(Operator.name == name) is not None:
            raise Conflict("operators.name_taken", name=name)
        if role != ADMIN and not login_required():
            raise ValidationError("operators.first_must_be_admin", name=name, field="role")
        operator = Operator.create(name=name, role=role, pin_hash=stored, created_at=utcnow(), updated_at=utcnow())
        audit.record(actor, "add", "operator", operator.id, name=name, role=role)
    return view_of(operator)


def set_pin(name: str, pin: str, *, actor: str = "cli") -> OperatorView:
    stored = hash_pin(check_pin(pin))
    with transaction():
        operator = get_operator(name)
        operator.pin_hash, operator.updated_at = stored, utcnow()
        operator.save()
        audit.record(actor, "set-pin", "operator", operator.id, name=operator.name)
    return view_of(operator)


def set_role(name: str, role: str, *, actor: str = "cli") -> OperatorView:
    role = check_role(role)
    with transaction():
        operator = get_operator(name)
        if role != ADMIN:
            _keep_an_admin(operator)
        old, operator.role, operator.updated_at = operator.role, role, utcnow()
        operator.save()
        audit.record(actor, "role", "operator", operator.id, name=operator.name, old=old, new=role)
    return view_of(operator)


def activate_operator(name: str, *, actor: str = "cli") -> OperatorView:
    """Let a deactivated operator sign in again, with the PIN they had."""
    with transaction():
        operator = get_operator(name)
        operator.active, operator.updated_at = True, utcnow()
        operator.save()
        audit.record(actor, "activate", "operator", operator.id, name=operator.name)
    return view_of(operator)


def deactivate_operator(name: str, *, actor: str = "cli") -> OperatorView:
    """Stop an operator signing in; they stay in the list (and the audit trail) and `activate` brings them back."""
    with transaction():
        operator = get_operator(name)
        _keep_an_admin(operator)
        operator.active, operator.updated_at = False, utcnow()
        operator.save()
        audit.record(actor, "deactivate", "operator", operator.id, name=operator.name)
    return view_of(operator)


def remove_operator(name: str, *, actor: str = "cli") -> None:
    """Delete an operator (the audit trail keeps their name in the entries they made)."""
    with transaction():
        operator = get_operator(name)
        _keep_an_admin(operator)
        operator.delete_instance()
        audit.record(actor, "remove", "operator", operator.id, name=operator.name)


def _keep_an_admin(leaving: Operator) -> None:
    """Refuse to take away the last active admin while other operators remain active."""
    if leaving.role != ADMIN or not leaving.active:
        return
    others = Operator.select().where((Operator.active == True) & (Operator.id != leaving.id))  # noqa: E712
    if not others.exists():
        return
    if not others.where(Operator.role == ADMIN).exists():
        raise Conflict("operators.last_admin", name=leaving.name)


# --- signing in ------------------------------------------------------------------------------------------------


def authenticate(name: str, pin: str) -> Operator:
    """The active operator `name` when `pin` is theirs; NotAllowed (one clear line) otherwise."""
    name = " ".join(name.split())
    operator = Operator.get_or_none(Operator.name == name)
    if operator is None or not operator.active:
        verify_pin(pin, _decoy())  # the same time for an unknown name as for a wrong PIN
        raise NotAllowed("operators.no_active", name=name)
    if _wrong_pins_lately(operator.id) >= MAX_WRONG_PINS:
        raise NotAllowed("operators.locked", name=name, minutes=int(LOCKOUT.total_seconds() // 60))
    if not verify_pin(pin, operator.pin_hash):
        with transaction():
            audit.record(name, "wrong-pin", "operator", operator.id)
        raise NotAllowed("operators.wrong_pin", name=name)
    if needs_rehash(operator.pin_hash):
        with transaction():
            Operator.update(pin_hash=hash_pin(pin)).where(Operator.id == operator.id).execute()
    return operator


def _wrong_pins_lately(operator_id: int) -> int:
    """Wrong PINs for the operator within the lockout window, and since their PIN was last set."""
    mine = (AuditEntry.entity == "operator") & (AuditEntry.entity_id == operator_id)
    last_set = AuditEntry.select(peewee.fn.MAX(AuditEntry.id)).where(mine & AuditEntry.action.in_(["add", "set-pin"]))
    wrong = mine & (AuditEntry.action == "wrong-pin") & (AuditEntry.at >= utcnow() - LOCKOUT)
    return int(AuditEntry.select().where(wrong & (AuditEntry.id > peewee.fn.COALESCE(last_set, 0))).count())


@functools.cache
def _decoy() -> str:
    return hash_pin(secrets.token_hex(8))
