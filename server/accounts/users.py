"""Staff users: create, find, list, disable/enable, change a password; and what each role may do.

Roles (``vocabulary.ROLES``): an admin may do everything in every hall; an editor may read and change only
the halls named on the account; a viewer may read every hall and change nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from ..models import Hall, StaffSession, User
from ..vocabulary import ROLE_RANK, ROLES, USER_NAME_PATTERN
from . import AccountError
from .passwords import check_strength, hash_password


def check_name(name: str) -> str:
    """*name* if it is a valid user name, else an AccountError naming the rule."""
    if not re.match(USER_NAME_PATTERN, name or ""):
        raise AccountError(
            "bad_user_name",
            f"用户名 {name!r} 无效：3–32 个字符，小写字母开头，只含小写字母、数字、点、下划线、连字符",
            f"User name {name!r} is invalid: 3–32 characters, a lower-case letter first, then lower-case "
            "letters, digits, '.', '_' or '-'",
            details={"field": "username"},
        )
    return name


def get_user(session: Session, name: str) -> User | None:
    """The user called *name* (with halls), or None."""
    return session.scalar(select(User).where(User.name == name).options(selectinload(User.halls)))


def require_user(session: Session, name: str) -> User:
    """The user called *name*; AccountError (404) if there is none."""
    user = get_user(session, name)
    if user is None:
        raise AccountError("unknown_user", f"没有这个用户：{name}", f"No such user: {name}", status=404)
    return user


def resolve_halls(session: Session, slugs: Sequence[str]) -> list[Hall]:
    """The halls *slugs* name, in order; AccountError naming every unknown one."""
    found = {h.slug: h for h in session.scalars(select(Hall).where(Hall.slug.in_(list(slugs))))}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        raise AccountError(
            "unknown_hall",
            f"没有这个大厅：{', '.join(unknown)}",
            f"No such hall: {', '.join(unknown)}",
            details={"field": "hall"},
        )
    return [found[s] for s in dict.fromkeys(slugs)]


def check_new(session: Session, name: str, *, role: str, halls: Sequence[str] = ()) -> list[Hall]:
    """The halls of a user about to be made; AccountError for a bad or taken name, a bad role, or halls
    that are unknown or wrong for the role (checked before asking for a password)."""
    check_name(name)
    if role not in ROLES:
        raise AccountError(
            "bad_role",
            f"角色无效：{role}（{'、'.join(ROLES)}）",
            f"Invalid role: {role} ({', '.join(ROLES)})",
        )
    if role == "editor" and not halls:
        raise AccountError(
            "editor_without_hall",
            "编辑必须至少指定一个大厅（--hall）",
            "An editor needs at least one hall (--hall)",
            details={"field": "hall"},
        )
    if role != "editor" and halls:
        raise AccountError(
            "halls_only_for_editors",
            "只有编辑需要指定大厅：管理员和只读查看者可看全部大厅",
            "Only editors are given halls: admins and viewers see every hall",
            details={"field": "hall"},
        )
    if get_user(session, name) is not None:
        raise AccountError("user_exists", f"用户已存在：{name}", f"User already exists: {name}", status=409)
    return resolve_halls(session, halls)


def create_user(
    session: Session,
    name: str,
    password: str,
    *,
    role: str,
    halls: Sequence[str] = (),
    min_length: int,
    cost: int,
    now: datetime,
) -> User:
    """Add a user (the caller commits); AccountError for a bad or taken name, role, halls or password."""
    hall_rows = check_new(session, name, role=role, halls=halls)
    check_strength(password, user_name=name, min_length=min_length)
    user = User(
        name=name,
        password_hash=hash_password(password, n=cost),
        role=role,
        disabled=False,
        created_at=now,
        updated_at=now,
        password_changed_at=now,
        halls=hall_rows,
    )
    session.add(user)
    return user


def set_password(
    session: Session, user: User, password: str, *, min_length: int, cost: int, now: datetime
) -> int:
    """Give *user* a new password and end every session of theirs; the number of sessions ended."""
    check_strength(password, user_name=user.name, min_length=min_length)
    user.password_hash = hash_password(password, n=cost)
    user.password_changed_at = now
    user.updated_at = now
    return end_user_sessions(session, user)


def set_disabled(session: Session, user: User, disabled: bool, *, now: datetime) -> None:
    """Disable (ending every session) or enable *user*."""
    user.disabled = disabled
    user.updated_at = now
    if disabled:
        end_user_sessions(session, user)


def end_user_sessions(session: Session, user: User) -> int:
    """End every session of *user*; how many there were."""
    result = session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    return result.rowcount or 0


def list_users(session: Session) -> list[User]:
    """Every user with halls, by name."""
    return list(session.scalars(select(User).options(selectinload(User.halls)).order_by(User.name)))


def at_least(user: User, role: str) -> bool:
    """Whether *user*'s role is *role* or more powerful."""
    return ROLE_RANK[user.role] >= ROLE_RANK[role]


def may_read_hall(user: User, slug: str) -> bool:
    """Admins and viewers read every hall; editors only their own."""
    return user.role != "editor" or any(h.slug == slug for h in user.halls)


def may_edit_hall(user: User, slug: str) -> bool:
    """Admins change every hall, editors their own, viewers none."""
    return user.role == "admin" or (user.role == "editor" and any(h.slug == slug for h in user.halls))
