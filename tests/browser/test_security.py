"""The tour under its Content-Security-Policy, in real Chromium: both demo halls, desktop and phone, English
and elder mode, a route, a service panel, the text directory and the 3D hall raise no CSP violation; the
first view is images, not CSS from data; a link stored past every write check (raw SQL) is
shown as text, never as a link or a QR code (server/security.py, server/urls.py, web/src/ui/addresses.js)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from server.db import bump_revision

from .conftest import open_tab

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));"""
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def violations(page) -> list[str]:
    return page.evaluate("window.__csp")


def ready(page) -> None:
    page.wait_for_selector("body[data-tour='ready']")
    page.wait_for_selector("#viewer[data-panorama='preview']", timeout=20000)


def test_the_whole_tour_runs_under_the_policy(browser, live_server, panoramas, guigang_panoramas, built_web):
    with open_tab(browser, live_server, bypass_csp=False) as tab:
        page = tab.page
        page.add_init_script(RECORD_VIOLATIONS)
        tab.goto("/hall/pingnan?route=counter:B03")
        ready(page)
        page.wait_for_function("() => document.querySelector('#route-bar').dataset.step === '1'")
        # The first view under the canvas: the inline placeholder and the preview, as images (img-src data:).
        shown = page.eval_on_selector_all(
            "#viewer img.viewer-backdrop", "imgs => imgs.map(i => [i.getAttribute('src'), i.naturalWidth])"
        )
        assert len(shown) == 2 and shown[0][0].startswith("data:image/jpeg;base64,")
        assert shown[1][0].endswith("/preview.jpg") and all(width > 0 for _, width in shown), shown
        page.click("#toggle-lang")
        page.click("#toggle-elder")
        page.wait_for_selector("body.elder")
        page.click("#hall-info")  # the hall card: address, phone link, week
        page.wait_for_selector("#panel .hall-phone a[href^='tel:']")
        page.goto(f"{live_server}/hall/pingnan?counter=A02&service=scjg-qykb")
        ready(page)
        page.wait_for_selector("#panel .apply-online")
        assert page.locator("#panel .apply-online").get_attribute("href").startswith("https://")
        page.wait_for_function("() => document.querySelector('#panel figure.qr img')?.complete")
        page.click("#toggle-directory")
        page.wait_for_selector("#directory:not([hidden])")
        page.click("#close-directory")
        page.click("#toggle-3d")
        page.wait_for_selector("#dollhouse .dh-place", state="attached", timeout=20000)
        assert violations(page) == []
        tab.goto("/hall/guigang?lang=en")
        ready(page)
        page.click("#toggle-directory")
        page.wait_for_selector("#directory:not([hidden])")
        assert violations(page) == []
        assert [e for e in tab.errors if "Content Security Policy" in e or "Refused" in e] == []
        assert tab.errors == []

    with open_tab(browser, live_server, bypass_csp=False, **PHONE) as tab:
        page = tab.page
        page.add_init_script(RECORD_VIOLATIONS)
        tab.goto("/hall/pingnan?counter=A02&service=scjg-qykb")
        ready(page)
        page.wait_for_selector("#panel .apply-online")
        page.click("#toggle-elder")
        assert violations(page) == []
        assert tab.errors == []


@pytest.fixture
def stored_bad_links(app):
    """scjg-qykb's addresses replaced past the ORM by raw SQL (as a careless writer could), restored after."""
    session = app.extensions["db"]()
    columns = "online_pc_url, online_mobile_url, appointment_url, appointment_supported"
    before = session.execute(text(f"SELECT {columns} FROM service_items WHERE slug = 'scjg-qykb'")).one()
    update = text(
        "UPDATE service_items SET online_pc_url = :pc, online_mobile_url = :mobile, appointment_url = :booking,"
        " appointment_supported = :supported WHERE slug = 'scjg-qykb'"
    )
    bad = {"pc": "javascript:alert(1)", "mobile": "https://evil.example/x", "booking": "//evil.example"}
    session.execute(update, {**bad, "supported": True})
    bump_revision(session)
    session.commit()
    yield bad
    session.execute(update, dict(zip(("pc", "mobile", "booking", "supported"), before, strict=True)))
    bump_revision(session)
    session.commit()
    session.close()


def test_a_stored_bad_link_is_text_on_the_page_and_no_qr_code(
    browser, live_server, panoramas, built_web, stored_bad_links
):
    with open_tab(browser, live_server, bypass_csp=False) as tab:
        page = tab.page
        tab.goto("/hall/pingnan?counter=A02&service=scjg-qykb")
        page.wait_for_selector("#panel .online-text")
        assert page.locator("#panel .online-text").inner_text() == "网上办理地址：javascript:alert(1)"
        hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))")
        assert not [h for h in hrefs if "evil" in h or h.lower().startswith(("javascript:", "data:", "//"))]
        assert page.locator("#panel .apply-online, #panel .appointment, #panel figure.qr").count() == 0
        page.emulate_media(media="print")  # the printed guide holds no link and no code either
        assert page.locator("#panel figure.qr").count() == 0
        assert tab.errors == []


def test_the_browser_checks_the_scheme_again(browser, live_server, panoramas, built_web):
    """Even an API answer that carried a bad address (a proxy, an old server) does not become a link."""
    with open_tab(browser, live_server, bypass_csp=False) as tab:
        page = tab.page

        def tamper(route):
            body = route.fetch().json()
            body["online"] = {"pc": "javascript:alert(1)", "mobile": "https:evil.example"}
            body["appointment"] = {"supported": True, "url": "\\\\evil.example"}
            route.fulfill(body=json.dumps(body), content_type="application/json")

        page.route("**/api/v1/services/scjg-qykb", tamper)
        tab.goto("/hall/pingnan?counter=A02&service=scjg-qykb")
        page.wait_for_selector("#panel .online-text")
        assert page.locator("#panel .apply-online, #panel .appointment, #panel figure.qr").count() == 0
        assert "javascript:alert(1)" in page.locator("#panel .online-text").inner_text()
