"""The staff pages: ``/admin/login`` (a plain form, no script), ``/admin`` (the shell: who is signed in,
role, halls, a nav that later parts extend), ``/admin/logout`` (POST with the CSRF token), and the pages of
a hall's draft — ``/admin/halls/<hall>`` (its facts), ``…/counters``, ``…/versions`` — and ``/admin/audit``.

The draft pages are one shell (``admin/app.html``) whose work is done by the module ``web/src/admin/main.js``
against the admin API; the page passes it what it needs (hall, role, CSRF token, the hall's zones, floors and
departments) as JSON in ``<script type="application/json" id="admin-data">``, as the tour passes its document.

Chinese by default; ``?lang=en`` (kept through the form as a hidden field) switches to English.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import Response, abort, current_app, make_response, redirect, render_template, request, url_for
from sqlalchemy import select

from ...accounts.users import may_edit_hall, may_read_hall
from ...config import now
from ...db import get_session
from ...kiosks import registry
from ...models import Department, Hall
from ...problems import HallError
from ...vocabulary import (
    KIOSK_COUNTDOWN_DEFAULT,
    KIOSK_COUNTDOWN_RANGE,
    KIOSK_IDLE_DEFAULT,
    KIOSK_IDLE_RANGE,
    ROLES,
)
from ..pages import asset_url, json_script
from . import pages_bp
from .auth import (
    LOGIN_CSRF_COOKIE,
    check_csrf,
    cookie_name,
    current,
    public,
    require,
    set_cookie,
    sign_in,
    sign_out,
)

TEXT = {
    "zh": {
        "title": "工作人员登录",
        "hall": "虚拟政务服务大厅",
        "username": "用户名",
        "password": "密码",
        "submit": "登录",
        "switch": "English",
        "admin": "大厅管理",
        "signed_in_as": "当前登录",
        "role": "角色",
        "halls": "可管理的大厅",
        "all_halls": "全部大厅",
        "logout": "退出登录",
        "nav_home": "概览",
        "nav_tour": "返回大厅首页",
        "read_only": "只读",
        "nav_kiosks": "自助终端",
        "kiosks_title": "自助终端",
        "kiosk_id": "编号",
        "kiosk_hall": "大厅",
        "kiosk_floor": "楼层",
        "kiosk_state": "状态",
        "online": "在线",
        "offline": "离线",
        "last_seen": "最近心跳",
        "never": "从未",
        "version": "显示的版本",
        "uptime": "已运行（秒）",
        "errors": "最近的错误",
        "no_kiosks": "尚未登记自助终端",
        "kiosk_actions": "操作",
        "nav_audit": "操作记录",
        "nav_facts": "大厅信息",
        "nav_counters": "窗口",
        "nav_versions": "发布版本",
        "manage": "管理",
        "nav_public": "市民看到的大厅",
        "loading": "正在加载…",
    },
    "en": {
        "title": "Staff sign-in",
        "hall": "Virtual Service Hall",
        "username": "User name",
        "password": "Password",
        "submit": "Sign in",
        "switch": "中文",
        "admin": "Hall administration",
        "signed_in_as": "Signed in as",
        "role": "Role",
        "halls": "Halls you may manage",
        "all_halls": "All halls",
        "logout": "Sign out",
        "nav_home": "Overview",
        "nav_tour": "Back to the halls",
        "read_only": "read only",
        "nav_kiosks": "Kiosks",
        "kiosks_title": "Kiosks",
        "kiosk_id": "Id",
        "kiosk_hall": "Hall",
        "kiosk_floor": "Floor",
        "kiosk_state": "State",
        "online": "online",
        "offline": "offline",
        "last_seen": "Last seen",
        "never": "never",
        "version": "Version shown",
        "uptime": "Uptime (s)",
        "errors": "Latest errors",
        "no_kiosks": "No kiosk registered yet",
        "kiosk_actions": "Actions",
        "nav_audit": "Audit log",
        "nav_facts": "Hall facts",
        "nav_counters": "Counters",
        "nav_versions": "Versions",
        "manage": "Manage",
        "nav_public": "The hall as citizens see it",
        "loading": "Loading…",
    },
}
# The nav of the staff pages: (endpoint, text key). Later parts (counters, services …) add their rows.
NAV: list[tuple[str, str]] = [
    ("admin_pages.home", "nav_home"),
    ("admin_pages.kiosks", "nav_kiosks"),
    ("admin_pages.audit", "nav_audit"),
]
# The tabs of one hall's pages: (endpoint, text key).
HALL_NAV: list[tuple[str, str]] = [
    ("admin_pages.hall", "nav_facts"),
    ("admin_pages.counters", "nav_counters"),
    ("admin_pages.versions", "nav_versions"),
]


def _lang() -> str:
    return "en" if (request.values.get("lang") == "en") else "zh"


def _context(lang: str, **extra: Any) -> dict[str, Any]:
    other = "zh" if lang == "en" else "en"
    return {
        "lang": lang,
        "t": TEXT[lang],
        "switch_args": {"lang": "en"} if other == "en" else {},
        "switch_url": url_for(
            request.endpoint, **(request.view_args or {}), **({"lang": "en"} if other == "en" else {})
        ),
        "lang_args": {"lang": "en"} if lang == "en" else {},
        "asset_url": asset_url,
        **extra,
    }


@pages_bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """The sign-in form; on POST, sign in (double-submit CSRF token) and go to ``/admin``."""
    lang = _lang()
    if request.method == "GET" and current() is not None:
        return redirect(url_for("admin_pages.home", **({"lang": "en"} if lang == "en" else {})))
    token = request.cookies.get(cookie_name(LOGIN_CSRF_COOKIE)) or ""
    error: HallError | None = None
    status = 200
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        if not token or not hmac.compare_digest(sent.encode(), token.encode()):
            check_csrf("")  # no token to match: raises the one 403
        try:
            session_token, _row = sign_in(request.form.get("username", ""), request.form.get("password", ""))
        except HallError as exc:
            error, status = exc, exc.status
        else:
            response = redirect(url_for("admin_pages.home", **({"lang": "en"} if lang == "en" else {})), 303)
            set_cookie(response, "vhall_admin", session_token)
            return response
    if not token:
        token = secrets.token_urlsafe(32)
    body = render_template(
        "admin/login.html",
        **_context(lang, csrf_token=token, error=error, username=request.form.get("username", "")),
    )
    response = make_response(body, status)
    set_cookie(response, LOGIN_CSRF_COOKIE, token)
    return response


@pages_bp.get("/")
@require("viewer")
def home():
    """The staff shell: who is signed in, their role and halls, the nav and sign-out."""
    lang = _lang()
    staff = current()
    user = staff.user
    return render_template(
        "admin/home.html",
        **_context(
            lang,
            user=user,
            role=getattr(ROLES[user.role], lang),
            halls=[{"slug": h.slug, "name": h.name_en if lang == "en" else h.name_zh} for h in user.halls],
            readable=[
                {"slug": h.slug, "name": h.name_en if lang == "en" else h.name_zh}
                for h in get_session().scalars(select(Hall).order_by(Hall.slug))
                if may_read_hall(user, h.slug)
            ],
            csrf_token=staff.csrf_token,
            nav=NAV,
        ),
    )


@pages_bp.get("/kiosks")
@require("viewer")
def kiosks():
    """Each kiosk of the halls the caller may see: online or offline, last seen, version shown, errors
    (rendered here; ``admin/kiosks.js`` refreshes the rows from the admin API while the page is open), and
    the halls the caller may register kiosks in, with their floors and plans (the form's choices)."""
    lang = _lang()
    staff = current()
    user = staff.user
    interval = current_app.config["KIOSK_HEARTBEAT_SECONDS"]
    rows = [
        registry.kiosk_dict(k, now=now(), interval=interval)
        for k in registry.list_kiosks(get_session())
        if may_read_hall(user, k.hall.slug)
    ]
    models = current_app.extensions["hall_models"]
    halls = [
        {
            "slug": h.slug,
            "name": {"zh": h.name_zh, "en": h.name_en},
            "floors": [
                {
                    "level": f.level,
                    "name": {"zh": f.name_zh, "en": f.name_en},
                    # The tour's own plan (model metres in its viewBox); none without a published model.
                    "plan_url": f"/api/v1/halls/{h.slug}/floors/{f.level}/plan.svg"
                    if models.get(h) is not None
                    else None,
                }
                for f in sorted(h.floors, key=lambda f: f.level)
            ],
        }
        for h in get_session().scalars(select(Hall).order_by(Hall.slug))
        if may_edit_hall(user, h.slug)
    ]
    data = {
        "lang": lang,
        "csrf": staff.csrf_token,
        "halls": halls,
        "idle": {"default": KIOSK_IDLE_DEFAULT, "range": list(KIOSK_IDLE_RANGE)},
        "countdown": {"default": KIOSK_COUNTDOWN_DEFAULT, "range": list(KIOSK_COUNTDOWN_RANGE)},
    }
    return render_template(
        "admin/kiosks.html",
        **_context(
            lang,
            kiosks=rows,
            csrf_token=staff.csrf_token,
            nav=NAV,
            refresh=interval,
            editable={h["slug"] for h in halls},
            data_json=json_script(data),
        ),
    )


def _hall_facts(row: Hall) -> dict[str, Any]:
    """What the counter form chooses from: the hall's floors, zones and every department."""
    departments = get_session().scalars(select(Department).order_by(Department.code))
    return {
        "slug": row.slug,
        "name": {"zh": row.name_zh, "en": row.name_en},
        "floors": [{"level": f.level, "name": {"zh": f.name_zh, "en": f.name_en}} for f in row.floors],
        "zones": [
            {"code": z.code, "floor": z.floor.level, "name": {"zh": z.name_zh, "en": z.name_en}}
            for z in sorted(row.zones, key=lambda z: z.code)
        ],
        "departments": [{"code": d.code, "name": {"zh": d.name_zh, "en": d.name_en}} for d in departments],
    }


def _app_page(page: str, hall: str | None = None):
    """The shell of a page drawn by ``web/src/admin/main.js``, with its data as JSON."""
    lang = _lang()
    staff = current()
    user = staff.user
    row = None
    if hall is not None:
        row = get_session().scalar(select(Hall).where(Hall.slug == hall))
        if row is None:
            abort(404)
    data = {
        "page": page,
        "lang": lang,
        "user": user.name,
        "role": user.role,
        "csrf": staff.csrf_token,
        "may_edit": bool(row is not None and may_edit_hall(user, row.slug)),
        "hall": _hall_facts(row) if row is not None else None,
        "halls": [
            h.slug
            for h in get_session().scalars(select(Hall).order_by(Hall.slug))
            if may_read_hall(user, h.slug)
        ],
    }
    hall_name = (row.name_en if lang == "en" else row.name_zh) if row is not None else None
    return render_template(
        "admin/app.html",
        **_context(
            lang,
            page=page,
            hall=row.slug if row is not None else None,
            hall_name=hall_name,
            csrf_token=staff.csrf_token,
            nav=NAV,
            hall_nav=HALL_NAV if row is not None else [],
            data_json=json_script(data),
        ),
    )


@pages_bp.get("/halls/<hall>")
@require("viewer", hall_from="hall")
def hall(hall: str):
    """A hall's facts (hours, address, phone, transport) and the draft bar."""
    return _app_page("facts", hall)


@pages_bp.get("/halls/<hall>/counters")
@require("viewer", hall_from="hall")
def counters(hall: str):
    """The draft's counters: table, filters, sort, the edit form; the draft bar."""
    return _app_page("counters", hall)


@pages_bp.get("/halls/<hall>/versions")
@require("viewer", hall_from="hall")
def versions(hall: str):
    """The hall's published versions: view one, restore one as a new version; the draft bar."""
    return _app_page("versions", hall)


@pages_bp.get("/audit")
@require("viewer")
def audit():
    """The audit log: filters, pages, CSV export."""
    return _app_page("audit")


@pages_bp.post("/logout")
@require("viewer")
def logout():
    """Sign out (CSRF checked by ``require``) and go back to the sign-in form."""
    response: Response = redirect(
        url_for("admin_pages.login", **({"lang": "en"} if _lang() == "en" else {})), 303
    )
    sign_out(response)
    return response


def add_texts(texts: dict[str, dict[str, str]]) -> None:
    """Add a page's strings to the shared TEXT; a key another page already uses with other words is refused
    (two pages sharing one key showed one page's label on the other)."""
    for lang, more in texts.items():
        for key, words in more.items():
            if TEXT[lang].get(key, words) != words:
                raise ValueError(f"admin text {key!r} ({lang}) is already used with other words")
        TEXT[lang].update(more)


IMPORT_TEXT = {
    "zh": {
        "nav_import": "表格导入导出",
        "import_title": "表格导入导出",
        "counters_sheet": "本厅窗口表",
        "services_sheet": "事项表（各厅共用的事项目录）",
        "services_note": ".xlsx 含“事项”和“材料”两张工作表；.csv 只含事项表，导入 .csv 不改变各事项的材料。",
        "stale": "预览之后草稿已被他人修改，未导入。请重新预览，确认改动后再导入。",
        "preview_again": "重新预览",
        "sheet_row": "{sheet} 第 {row} 行",
        "not_in_sheet": "表中缺少",
        "download": "下载",
        "upload": "上传并预览（不会修改）",
        "apply": "导入到草稿",
        "file": "表格文件（.xlsx 或 .csv）",
        "added": "新增",
        "changed": "修改",
        "removed": "删除",
        "bad_rows": "有问题的行",
        "row": "第 {row} 行",
        "no_change": "没有变化",
        "applied": "已导入草稿：发布后市民才能看到",
        "draft_note": "导入只修改草稿；发布后才对市民生效。",
        "network": "连不上服务器，未上传。请检查网络后再试。",
    },
    "en": {
        "nav_import": "Spreadsheets",
        "import_title": "Spreadsheets: import and export",
        "counters_sheet": "This hall's counters",
        "services_sheet": "Services (the catalogue all halls share)",
        "services_note": "The .xlsx holds two sheets, Services and Materials; a .csv holds the services sheet only, "
        "and importing one leaves each service's materials as they are.",
        "stale": "The draft was changed by someone else after the preview: nothing was imported. Preview again, "
        "check the changes, then import.",
        "preview_again": "Preview again",
        "sheet_row": "{sheet} row {row}",
        "not_in_sheet": "Missing from the sheet",
        "download": "Download",
        "upload": "Upload and preview (changes nothing)",
        "apply": "Import into the draft",
        "file": "Spreadsheet file (.xlsx or .csv)",
        "added": "Added",
        "changed": "Changed",
        "removed": "Removed",
        "bad_rows": "Rows to correct",
        "row": "Row {row}",
        "no_change": "Nothing changes",
        "applied": "Imported into the draft: citizens see it once published",
        "draft_note": "An import changes only the draft; citizens see it once it is published.",
        "network": "The server could not be reached; nothing was uploaded. Check the network and try again.",
    },
}
add_texts(IMPORT_TEXT)
NAV.append(("admin_pages.import_start", "nav_import"))
HALL_NAV.append(("admin_pages.hall_import", "nav_import"))


@pages_bp.get("/import")
@require("viewer")
def import_start():
    """The spreadsheet page of the first hall the caller may see (the nav's entry)."""
    user = current().user
    slugs = [
        s for s in get_session().scalars(select(Hall.slug).order_by(Hall.slug)) if may_read_hall(user, s)
    ]
    if not slugs:
        return redirect(url_for("admin_pages.home", **({"lang": "en"} if _lang() == "en" else {})))
    args = {"lang": "en"} if _lang() == "en" else {}
    return redirect(url_for("admin_pages.hall_import", hall=slugs[0], **args))


@pages_bp.get("/halls/<hall>/import")
@require("viewer", hall_from="hall")
def hall_import(hall: str):
    """Download the hall draft's counters, or the catalogue draft's services, as .xlsx/.csv; upload one for a
    dry-run report, then apply it."""
    lang = _lang()
    staff = current()
    row = get_session().scalar(select(Hall).where(Hall.slug == hall))
    if row is None:
        abort(404)
    context = _context(
        lang,
        hall=hall,
        hall_name=row.name_en if lang == "en" else row.name_zh,
        may_edit=may_edit_hall(staff.user, hall),
        may_edit_services=staff.user.role in ("editor", "admin"),  # any editor edits the catalogue's draft
        csrf_token=staff.csrf_token,
        nav=NAV,
        nav_current="nav_import",  # the nav's entry (import_start) only leads here
        hall_nav=HALL_NAV,
    )
    context["switch_args"] = {**context["switch_args"], "hall": hall}  # the language switch keeps the hall
    return render_template("admin/import.html", **context)
