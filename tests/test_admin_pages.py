"""The staff pages of a hall's draft as HTML: the shell passes its data as JSON (role, whether the user may
edit, the hall's floors, zones and departments) with no inline script or style, the language switch keeps
the hall, and a hall nobody has is 404."""

from __future__ import annotations

import json
import re

import pytest

from tests.staff import Clock, sign_in, staff_app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return staff_app(tmp_path_factory.mktemp("admin-pages"), Clock())


def _data(body: str) -> dict:
    match = re.search(r'<script type="application/json" id="admin-data">(.*?)</script>', body, re.S)
    assert match, body[:500]
    return json.loads(match.group(1))


@pytest.mark.parametrize(
    "path", ["/admin/halls/guigang", "/admin/halls/guigang/counters", "/admin/halls/guigang/versions"]
)
def test_hall_pages_pass_their_data(app, path):
    client = app.test_client()
    csrf = sign_in(client, "editor.gg").get_json()["csrf_token"]
    response = client.get(path)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    data = _data(body)
    assert (
        data["page"]
        == {"": "facts", "counters": "counters", "versions": "versions"}[path.split("guigang")[1].strip("/")]
    )
    assert data["csrf"] == csrf and data["may_edit"] is True and data["role"] == "editor"
    assert data["hall"]["slug"] == "guigang" and data["hall"]["floors"] and data["hall"]["zones"]
    assert {"code", "floor", "name"} <= set(data["hall"]["zones"][0])
    assert any(d["code"] == "bdc" for d in data["hall"]["departments"])
    # No inline script or style: the one script is the module, the data is JSON; the CSP says so too.
    assert re.findall(r"<script(?![^>]*(?:type=\"module\" src=|type=\"application/json\"))", body) == []
    assert " style=" not in body and "<style" not in body
    assert (
        "'unsafe-inline'"
        not in response.headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
    # The language switch keeps the hall; English pages say so.
    assert f'href="{path}?lang=en"' in body
    english = client.get(f"{path}?lang=en").get_data(as_text=True)
    assert _data(english)["lang"] == "en" and 'lang="en"' in english


def test_viewer_reads_and_other_hall_and_unknown(app):
    client = app.test_client()
    sign_in(client, "looker")
    data = _data(client.get("/admin/halls/pingnan/counters").get_data(as_text=True))
    assert data["may_edit"] is False and data["role"] == "viewer"
    assert client.get("/admin/halls/nowhere/counters").status_code == 404
    audit = _data(client.get("/admin/audit").get_data(as_text=True))
    assert audit["page"] == "audit" and audit["hall"] is None and audit["halls"] == ["guigang", "pingnan"]
    editor = app.test_client()
    sign_in(editor, "editor.pn")
    assert editor.get("/admin/halls/guigang/counters").status_code == 403
    assert _data(editor.get("/admin/audit").get_data(as_text=True))["halls"] == ["pingnan"]
    home = editor.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/halls/pingnan/counters"' in home and "/admin/halls/guigang" not in home


def test_two_admin_pages_cannot_give_one_string_key_two_meanings():
    """The import page's file label once showed the panorama page's words: a key used with other words is
    refused when the pages are composed, and a page adding its own keys changes nothing else."""
    from server.web.admin.pages import TEXT, add_texts

    before = {lang: dict(texts) for lang, texts in TEXT.items()}
    with pytest.raises(ValueError, match="'file'"):
        add_texts({"zh": {"file": "别的意思"}})
    assert before == TEXT
    add_texts({"zh": {"file": TEXT["zh"]["file"]}})  # the same words again are fine
    assert before == TEXT
