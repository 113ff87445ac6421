"""The views staff set for scenes (hall document ``initial_view`` and ``arrivals``): the tour opens a scene
at its initial view and, through a link with an arrival view, arrives at that view."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from server.db import bump_revision

from .test_walk import wait_scene

pytestmark = pytest.mark.browser

SCENE_IDS = (
    "(SELECT id FROM scenes WHERE code = :code AND hall_id = (SELECT id FROM halls WHERE slug = 'pingnan'))"
)


@pytest.fixture
def scene_views(app):
    """pingnan's entrance opens looking 30° right and 5° down; its link to hall-centre arrives looking
    120° left and 10° up. Put back after."""
    session = app.extensions["db"]()

    def put(initial, arrival):
        session.execute(
            text(f"UPDATE scenes SET initial_yaw = :yaw, initial_pitch = :pitch WHERE id = {SCENE_IDS}"),
            {"yaw": initial[0], "pitch": initial[1], "code": "entrance"},
        )
        session.execute(
            text(
                "UPDATE scene_links SET arrival_yaw = :yaw, arrival_pitch = :pitch "
                f"WHERE scene_id = {SCENE_IDS.replace(':code', ':source')} AND target_id = {SCENE_IDS}"
            ),
            {"yaw": arrival[0], "pitch": arrival[1], "source": "entrance", "code": "hall-centre"},
        )
        bump_revision(session)
        session.commit()

    put((30.0, -5.0), (-120.0, 10.0))
    yield
    put((None, None), (None, None))
    session.close()


def test_a_scene_opens_at_its_initial_view_and_a_link_arrives_at_its_arrival_view(tab, scene_views):
    tab.tour("?scene=entrance")
    wait_scene(tab, "入口")
    view = tab.page.evaluate("window.__tour.viewer.getView()")
    assert (round(view["yaw"], 1), round(view["pitch"], 1)) == (30.0, -5.0)
    tab.page.locator("#hotspots button[data-target='scene:hall-centre']").click()
    wait_scene(tab, "大厅中央")
    view = tab.page.evaluate("window.__tour.viewer.getView()")
    assert (round(view["yaw"], 1), round(view["pitch"], 1)) == (-120.0, 10.0)
    # Back through a link without an arrival view (its button is off screen: pressed as a keyboard would):
    # the view turns as before, not to the entrance's initial view.
    tab.page.evaluate("document.querySelector(\"#hotspots button[data-target='scene:entrance']\").click()")
    wait_scene(tab, "入口")
    view = tab.page.evaluate("window.__tour.viewer.getView()")
    assert (round(view["yaw"], 1), round(view["pitch"], 1)) != (30.0, -5.0)
    assert tab.errors == []
