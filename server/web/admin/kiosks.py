"""The kiosk registry over the admin API: ``/api/v1/admin/kiosks`` (list, register) and
``/api/v1/admin/kiosks/<kiosk>`` (read, change, remove). Every signed-in role reads the kiosks of the halls
it may see; admins register, change or remove any, editors those of their own halls. A change may name the
``version`` it was based on (``kiosk_dict`` gives it): 409 with the current kiosk when it is stale. Checks live in ``server/kiosks/registry.py``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, request

from ...accounts.users import may_edit_hall, may_read_hall
from ...config import now
from ...db import bump_revision, get_session
from ...errors import ApiError
from ...kiosks import registry
from ...models import Hall, Kiosk
from . import api_bp
from .auth import current, forbidden, require


def _body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "请以 JSON 提交", "Send the kiosk as JSON")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "请求内容不是有效的 JSON 对象", "The body is not a JSON object")
    return data


def _geometry(hall: Hall):
    model = current_app.extensions["hall_models"].get(hall)
    return model.geometry if model else None


def _dict(kiosk: Kiosk) -> dict[str, Any]:
    return registry.kiosk_dict(kiosk, now=now(), interval=current_app.config["KIOSK_HEARTBEAT_SECONDS"])


def _readable(kiosk: Kiosk) -> Kiosk:
    if not may_read_hall(current().user, kiosk.hall.slug):
        raise forbidden(
            f"您的账号不能查看大厅 {kiosk.hall.slug}", f"Your account may not see hall {kiosk.hall.slug}"
        )
    return kiosk


def _editable(slug: str) -> None:
    if not may_edit_hall(current().user, slug):
        raise forbidden(
            f"您的账号不能管理大厅 {slug} 的自助终端",
            f"Your account may not manage the kiosks of hall {slug}",
        )


def _commit(action: str, kiosk_id: str, before: dict | None, after: dict | None) -> None:
    """The one place every kiosk write ends: recorded in the staff audit log, the catalogue revision moved
    (routes from a kiosk and kiosk pages are cached per revision), and all of it committed at once."""
    session = get_session()
    registry.record_change(
        session,
        user=current().user.name,
        action=action,
        kiosk_id=kiosk_id,
        before=before,
        after=after,
        now=now(),
    )
    bump_revision(session, searchable=False)
    session.commit()


@api_bp.get("/kiosks")
@require("viewer")
def list_kiosks():
    """The kiosks of every hall the caller may see."""
    user = current().user
    rows = registry.list_kiosks(get_session())
    return {"kiosks": [_dict(k) for k in rows if may_read_hall(user, k.hall.slug)]}


@api_bp.post("/kiosks")
@require("editor")
def add_kiosk():
    """Register a kiosk (201, with Location)."""
    fields = registry.check_fields(_body())
    _editable(fields["hall"])
    session = get_session()
    hall = registry.get_hall(session, fields["hall"])
    kiosk = registry.add_kiosk(session, hall, fields, geometry=_geometry(hall), now=now())
    _commit("add", kiosk.code, None, registry.page_config(kiosk))
    response = jsonify(_dict(kiosk))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/admin/kiosks/{kiosk.code}"
    return response


@api_bp.get("/kiosks/<kiosk>")
@require("viewer")
def get_kiosk(kiosk: str):
    """One kiosk, with its last heartbeat."""
    return _dict(_readable(registry.get_kiosk(get_session(), kiosk)))


@api_bp.patch("/kiosks/<kiosk>")
@require("editor")
def change_kiosk(kiosk: str):
    """Change a kiosk's floor, position, facing, times or audio (its id and hall stay); 409 when the
    ``version`` sent is not the kiosk's now."""
    body = _body()
    version = body.pop("version", None)
    fields = registry.check_fields(body, partial=True)
    row = _readable(registry.get_kiosk(get_session(), kiosk))
    _editable(row.hall.slug)
    registry.check_version(row, version, _dict(row))
    before = registry.page_config(row)
    registry.change_kiosk(get_session(), row, fields, geometry=_geometry(row.hall), now=now())
    _commit("change", row.code, before, registry.page_config(row))
    return _dict(row)


@api_bp.delete("/kiosks/<kiosk>")
@require("editor")
def remove_kiosk(kiosk: str):
    """Remove a kiosk (204)."""
    row = _readable(registry.get_kiosk(get_session(), kiosk))
    _editable(row.hall.slug)
    before = registry.page_config(row)
    registry.remove_kiosk(get_session(), kiosk)
    _commit("remove", kiosk, before, None)
    return Response(status=204)
