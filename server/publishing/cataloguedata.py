"""The ``catalogue`` scope of drafts: the services catalogue, shared by all halls, edited as a draft and
published as a whole — the per-scope part that ``drafts`` calls.

Snapshot form: ``{"services": {slug: form}}`` with each form the canonical one of ``catalogue.editing``
(``service_form``). The scope has no key and no target row (``catalogue``, never ``catalogue:<x>``).
One service is checked against the others of the draft (a code used twice is named); the whole snapshot
as ``services.<slug>.<field>``. Publishing writes it through ``editing.apply_catalogue``, which refuses
(``ServiceInUse``, 409, naming the counters) to remove a service a counter still handles.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..catalogue.editing import (
    Facts,
    apply_catalogue,
    catalogue_facts,
    catalogue_problems,
    catalogue_snapshot,
    validate_service,
)

SCOPE = "catalogue"


def _target(session: Session, key: str | None) -> None:
    from .drafts import DraftError

    if key is not None:
        raise DraftError(
            "unknown_scope", f"未知的数据范围：catalogue:{key}", f"Unknown scope: catalogue:{key}", status=404
        )
    return None


def _plain(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != "version"}


def _check_object(
    session: Session,
    _target: None,
    collection: str,
    key: str | None,
    obj: dict[str, Any],
    data: dict[str, Any],
) -> list[dict[str, str]]:
    """Problems of service *obj* at *key*, its code checked against the other services of the draft."""
    codes = {f.get("code"): slug for slug, f in data["services"].items() if slug != key}
    found = validate_service(obj, Facts(catalogue_facts(session).departments, codes))
    if obj.get("slug") != key and not any(p["field"] == "slug" for p in found):
        found.append(
            {"field": "slug", "zh": "事项标识不能在编辑中修改", "en": "the slug cannot be changed by an edit"}
        )
    return found


def _problems(session: Session, _target: None, data: dict[str, Any]) -> list[dict[str, str]]:
    return catalogue_problems(session, {"services": {k: _plain(v) for k, v in data["services"].items()}})


def _apply(session: Session, _target: None, data: dict[str, Any]) -> None:
    apply_catalogue(session, data)


def _register() -> None:
    from .drafts import ScopeKind, register

    register(
        ScopeKind(
            name=SCOPE,
            collections={"services": "service"},
            singles={},
            target=_target,
            snapshot=lambda session, _target: catalogue_snapshot(session),
            apply=_apply,
            check_object=_check_object,
            problems=_problems,
        )
    )


_register()
