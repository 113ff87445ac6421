"""Addresses from the data (server/urls.py): the one rule for links and inline images, on every write path
(ORM validators, demo files) and again on render (API documents, QR codes, the tour page)."""

from __future__ import annotations

import json

import pytest
import yaml
from sqlalchemy import select, text

from server.db import bump_revision
from server.demo.loader import DemoDataError, load
from server.models import Scene, ServiceItem
from server.problems import problem_text
from server.urls import UnsafeAddress, check_link, is_inline_image, link_problem, panorama_problem, safe_link

from .conftest import make_app
from .test_demo import broken_copy

GOV = ("gov.cn",)
ALLOWED = [
    "https://zwfw.gxzf.gov.cn/eportal/ui?pageId=1&id=2#top",
    "HTTPS://ZWFW.GXZF.GOV.CN/",
    "https://gov.cn",
    "https://www.gov.cn:443/a",
    "https://政府.gov.cn/办事",  # an internationalised host is compared in its IDNA form
]
REFUSED = [
    "javascript:alert(1)",
    "JavaScript:alert(1)//https://gov.cn",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.gov.cn/x",
    "\\\\evil.gov.cn\\x",
    "https:evil.gov.cn",
    "https:/evil.gov.cn",
    "https:\\\\evil.gov.cn",
    "/relative/path",
    "http://zwfw.gxzf.gov.cn/",  # http not allowed unless configured
    "ftp://zwfw.gxzf.gov.cn/",
    "https://evil.example/",
    "https://gov.cn.evil.example/",
    "https://evilgov.cn/",
    "https://user@zwfw.gxzf.gov.cn/",
    "https://user:pw@zwfw.gxzf.gov.cn/",
    "https://zwfw.gxzf.gov.cn@evil.example/",
    "https://zwfw.gxzf.gov.cn\\@evil.example/",
    "https://zwfw.gxzf.gov.cn/a b",
    "https://zwfw.gxzf.gov.cn/\tx",
    "https://zwfw.gxzf.gov.cn/\x00",
    "https://zwfw.gxzf.gov.cn/\u2028",
    "https://zwfw.gxzf.gov.cn:99999/",
    "https://-bad-.gov.cn/",
    "https://" + "a" * 64 + ".gov.cn/",
    "https://zwfw.gxzf.gov.cn/" + "a" * 480,
    "",
    None,
    42,
]


@pytest.mark.parametrize("url", ALLOWED)
def test_https_to_an_allowed_domain_is_a_link(url):
    assert link_problem(url, domains=GOV, allow_http=False) is None
    assert safe_link(url) == url  # outside an application: the default domains


@pytest.mark.parametrize("url", REFUSED)
def test_anything_else_is_never_a_link(url):
    reason = link_problem(url, domains=GOV, allow_http=False)
    assert reason is not None and all(reason)
    assert safe_link(url) is None
    with pytest.raises(UnsafeAddress) as caught:
        check_link("online_pc_url", url)
    assert caught.value.status == 422 and caught.value.code == "unsafe_address"
    assert caught.value.message.startswith("online_pc_url 不是允许的地址")
    assert caught.value.message_en.startswith("online_pc_url is not an allowed address")


def test_http_and_other_domains_only_where_the_settings_say(tmp_path):
    assert link_problem("http://zwfw.gxzf.gov.cn/", domains=GOV, allow_http=True) is None
    assert link_problem("https://service.example.org/", domains=["example.org"], allow_http=False) is None
    app = make_app(
        tmp_path, demo=False, LINK_ALLOWED_DOMAINS="example.org, gxzf.gov.cn", LINK_ALLOW_HTTP=True
    )
    with app.app_context():
        assert safe_link("http://a.example.org/") == "http://a.example.org/"
        assert safe_link("https://zwfw.gxzf.gov.cn/") == "https://zwfw.gxzf.gov.cn/"
        assert safe_link("https://www.gov.cn/") is None  # not on this hall's list
        assert safe_link("javascript:alert(1)") is None


def test_the_orm_refuses_a_bad_address_from_any_writer():
    for column in ("online_pc_url", "online_mobile_url", "appointment_url"):
        with pytest.raises(UnsafeAddress, match=column):
            ServiceItem(**{column: "javascript:alert(document.cookie)"})
    assert ServiceItem(appointment_url=None).appointment_url is None  # no appointment: allowed
    with pytest.raises(UnsafeAddress):
        ServiceItem(online_pc_url=None)
    item = ServiceItem(online_pc_url="https://zwfw.gxzf.gov.cn/x")
    with pytest.raises(UnsafeAddress):
        item.online_pc_url = "https://evil.example/"
    assert item.online_pc_url == "https://zwfw.gxzf.gov.cn/x"


def test_demo_files_with_a_bad_address_are_refused_and_nothing_is_written(tmp_path):
    def edit(folder):
        path = folder / "services" / "zj.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data[0]["online"]["pc"] = "https://evil.example/phish"
        data[1]["online"]["mobile"] = (
            "https://zwfw.gxzf.gov.cn@evil.example/"  # the schema's pattern lets it by
        )
        data[2]["guide"]["summary"]["en"] = "See [here](javascript:alert(1))."
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    app = make_app(tmp_path)
    session = app.extensions["db"]()
    before = session.scalars(select(ServiceItem.online_pc_url).order_by(ServiceItem.id)).all()
    with pytest.raises(DemoDataError) as caught:
        load(session, broken_copy(tmp_path, edit))
    texts = [problem_text(p) for p in caught.value.problems]
    assert sum("address not allowed" in t and "地址不允许" in t for t in texts) == 2, texts
    assert any("/online/pc" in t and "domain" in t for t in texts)
    assert any("/online/mobile" in t and "user name" in t for t in texts)
    assert any("/guide/summary/en" in t and "javascript:alert(1)" in t for t in texts)
    session.rollback()
    assert session.scalars(select(ServiceItem.online_pc_url).order_by(ServiceItem.id)).all() == before
    session.close()


CRAFTED_PLACEHOLDERS = [
    "');}body{display:none}/*",
    "javascript:alert(1)",
    "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
    "data:image/jpeg;base64,AAAA') , url('https://evil.example/x.png",
    "data:text/html;base64,PHNjcmlwdD4=",
    "data:image/jpeg;base64," + "A" * 20000,
    "data:image/jpeg;base64,AA AA",
]


@pytest.mark.parametrize("value", CRAFTED_PLACEHOLDERS)
def test_a_placeholder_must_be_a_bounded_inline_image(value):
    assert not is_inline_image(value)
    assert panorama_problem({"placeholder": value, "basePath": "/panoramas/h/s/v1"}) is not None
    with pytest.raises(UnsafeAddress, match="panorama"):
        Scene(panorama={"placeholder": value, "basePath": "/panoramas/h/s/v1", "preview": "/preview.jpg"})


def test_a_tile_config_names_files_below_its_own_folder():
    good = {"placeholder": "data:image/jpeg;base64,/9j/4AAQ+w==", "basePath": "/panoramas/pingnan/lobby/0a1b"}
    good |= {"preview": "/preview.jpg", "path": "/%l/%s%y_%x", "fallbackPath": "/fallback/%s"}
    assert panorama_problem(good) is None and Scene(panorama=good).panorama == good
    for key, value in [
        ("basePath", "https://evil.example/panoramas"),
        ("basePath", "/panoramas/../../etc"),
        ("basePath", "//evil.example/a/b/c"),
        ("preview", "/../../secret.jpg"),
        ("preview", "');}*{display:none}/*"),
        ("path", "//evil.example/%l"),
    ]:
        assert panorama_problem({**good, key: value}) is not None, (key, value)


@pytest.fixture(scope="module")
def tampered(tmp_path_factory):
    """An app whose database holds bad addresses and a crafted placeholder written past the ORM (raw SQL)."""
    app = make_app(tmp_path_factory.mktemp("tampered"))
    session = app.extensions["db"]()
    slug = session.scalars(select(ServiceItem.slug).order_by(ServiceItem.id)).first()
    session.execute(
        text(
            "UPDATE service_items SET online_pc_url = :pc, online_mobile_url = :mobile, appointment_url = :booking,"
            " appointment_supported = :yes WHERE slug = :slug"
        ),
        {
            "pc": "javascript:alert(1)",
            "mobile": "https://evil.example/phish",
            "booking": "data:text/html,<b>x</b>",
            "yes": True,
            "slug": slug,
        },
    )
    crafted = {
        "placeholder": "');}body{display:none}/*",
        "basePath": "/panoramas/pingnan/entrance/v1",
        "preview": "/preview.jpg",
    }
    session.execute(
        text(
            "UPDATE scenes SET panorama = :p WHERE code = 'entrance'"
            " AND hall_id = (SELECT id FROM halls WHERE slug = 'pingnan')"
        ),
        {"p": json.dumps(crafted)},
    )
    bump_revision(session)
    session.commit()
    session.close()
    return app, slug


def test_a_stored_bad_address_is_never_given_as_a_link(tampered):
    app, slug = tampered
    client = app.test_client()
    service = client.get(f"/api/v1/services/{slug}").get_json()
    assert service["online"] == {
        "pc": None,
        "mobile": None,
        "unlinked": {"pc": "javascript:alert(1)", "mobile": "https://evil.example/phish"},
    }
    assert service["appointment"] == {
        "supported": True,
        "url": None,
        "unlinked": {"url": "data:text/html,<b>x</b>"},
    }
    for target in ("mobile", "pc", "appointment"):
        response = client.get(f"/api/v1/services/{slug}/qr.svg?for={target}")
        assert response.status_code == 404, target
        assert response.get_json()["error"]["message_en"] == f"Usable address not found: {slug}"
    # An untouched service keeps its links and no "unlinked".
    other = client.get("/api/v1/services/scjg-qykb").get_json()
    assert other["online"]["pc"].startswith("https://") and "unlinked" not in other["online"]


def test_a_crafted_placeholder_never_becomes_css(tampered):
    app, _ = tampered
    client = app.test_client()
    scenes = {s["id"]: s for s in client.get("/api/v1/halls/pingnan").get_json()["scenes"]}
    assert scenes["entrance"]["tiles"] is None  # not shown at all
    html = client.get("/hall/pingnan").get_data(as_text=True)
    assert "display:none" not in html and "style=" not in html
