"""Derived data computed once at publish time and stored beside the model: what workers load instead of
analysing the GLB (docs/ARCHITECTURE.md, data path 1)."""

from __future__ import annotations

import numpy as np
import pytest

from server.catalogue.queries import load_hall
from server.hallmodel.floorplan import render_plan
from server.hallmodel.store import model_path
from server.publishing import hallmodels
from server.publishing.hallmodels import HallModel, ModelCache, analyse, derived_path, hall_facts
from server.web.api.hallmodel import plan_labels

HALLS = ("guigang", "pingnan")


def _hall(app, slug):
    session = app.extensions["db"]()
    return session, load_hall(session, slug)


def _fresh(app, hall) -> HallModel:
    path = model_path(app, hall.slug, hall.model_sha)
    _report, model = analyse(path.read_bytes(), hall_facts(hall), hall=hall.slug)
    hallmodels.derive_scenes(model, hall)
    return model


@pytest.mark.parametrize("slug", HALLS)
def test_loaded_derived_data_answers_exactly_as_freshly_analysed(app, slug):
    with app.app_context():
        session, hall = _hall(app, slug)
        try:
            fresh = _fresh(app, hall)
            stored = derived_path(app, slug, hall.model_sha, fresh.facts)
            assert stored.is_file()  # written when `model build --all` published it
            loaded = HallModel.from_bytes(stored.read_bytes())
            again = HallModel.from_bytes(fresh.to_bytes())
            at_scenes = dict(fresh.hotspots)  # before the loop below adds other poses
            assert len(at_scenes) == len(hall.scenes) and all(at_scenes.values())
            for model in (loaded, again):
                assert (model.hall, model.sha, model.facts) == (fresh.hall, fresh.sha, fresh.facts)
                assert model.places == fresh.places
                assert model.geometry.connectors == fresh.geometry.connectors
                assert model.graph.stranded == fresh.graph.stranded
                # Routes: every place from each entrance and scene, both ways, normal and step-free.
                keys = list(fresh.graph.places)
                starts = [k for k in keys if k.startswith(("entrance:", "scene:"))]
                assert starts and len(keys) > 20
                for a in starts:
                    for b in keys:
                        for accessible in (False, True):
                            assert _route(model, a, b, accessible) == _route(fresh, a, b, accessible)
                # Floor plans, both languages.
                for level, floor in fresh.geometry.floors.items():
                    labels = plan_labels(hall, level)
                    for lang in ("zh", "en"):
                        assert render_plan(
                            model.geometry.floors[level],
                            model.geometry.nodes.values(),
                            labels=labels,
                            lang=lang,
                        ) == render_plan(floor, fresh.geometry.nodes.values(), labels=labels, lang=lang)
                # Hotspots: the stored ones, and freshly computed ones from the loaded occluders.
                assert {pose: model.hotspots[pose] for pose in at_scenes} == at_scenes
                np.testing.assert_array_equal(model.occluders.triangles, fresh.occluders.triangles)
                assert list(model.occluders.owners) == list(fresh.occluders.owners)
                for scene in hall.scenes:
                    pose = ((scene.x + 0.5, scene.y, scene.z - 0.5), scene.heading + 10, scene.floor.level)
                    assert model.node_hotspots(*pose) == fresh.node_hotspots(*pose)
                for name, node in fresh.geometry.nodes.items():
                    other = model.geometry.nodes[name]
                    assert (other.anchor, other.standing, other.facing) == (
                        node.anchor,
                        node.standing,
                        node.facing,
                    )
                    assert (other.footprint is None) == (node.footprint is None)
                    assert other.footprint is None or other.footprint.equals_exact(node.footprint, 0)
        finally:
            session.close()


def _route(model, a, b, accessible):
    try:
        return model.graph.route(a, b, accessible=accessible).to_dict()
    except hallmodels.RouteError as exc:
        return (type(exc).__name__, exc.message, exc.message_en)


def test_a_worker_loads_the_stored_data_and_never_analyses(app, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("analysed instead of loading the stored derived data")

    monkeypatch.setattr(hallmodels, "analyse", refuse)
    with app.app_context():
        session, hall = _hall(app, "guigang")
        try:
            model = ModelCache().get(hall)
            assert model is not None and model.sha == hall.model_sha
            assert model.graph.route("entrance:main", "counter:B03").length_m > 0
        finally:
            session.close()


def test_a_model_published_without_derived_data_is_derived_once_and_stored(app, monkeypatch):
    with app.app_context():
        session, hall = _hall(app, "pingnan")
        try:
            stored = derived_path(app, "pingnan", hall.model_sha, hallmodels.facts_key(hall_facts(hall)))
            kept = stored.read_bytes()
            stored.unlink()  # as after an upgrade from a version that stored none
            calls = []
            real = hallmodels.analyse
            monkeypatch.setattr(hallmodels, "analyse", lambda *a, **k: calls.append(1) or real(*a, **k))
            first = ModelCache().get(hall)
            assert calls == [1] and stored.is_file()
            second = ModelCache().get(hall)  # another process: loads what the first stored
            assert calls == [1] and second.hotspots == first.hotspots
            assert HallModel.from_bytes(stored.read_bytes()).facts == HallModel.from_bytes(kept).facts
        finally:
            session.close()


def test_stored_data_holds_no_pickle(app):
    with app.app_context():
        session, hall = _hall(app, "guigang")
        try:
            stored = derived_path(app, "guigang", hall.model_sha, hallmodels.facts_key(hall_facts(hall)))
            with np.load(stored, allow_pickle=False) as data:
                assert all(data[name].dtype != object for name in data.files)
        finally:
            session.close()


def test_single_flight_builds_once_per_key_and_never_holds_up_other_keys():
    import threading

    from server.web.api.http import SingleFlight

    flights, store, calls = SingleFlight(), {}, []
    release, started = threading.Event(), threading.Event()

    def build(key):
        calls.append(key)
        if key == "slow":
            started.set()
            assert release.wait(30)
        store[key] = object()
        return store[key]

    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                flights.get("slow", lambda: store.get("slow"), lambda: build("slow"))
            )
        )
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    assert started.wait(30)
    # While "slow" is being built, another key is answered at once (this thread would hang otherwise).
    assert flights.get("other", lambda: store.get("other"), lambda: build("other")) is store["other"]
    release.set()
    for thread in threads:
        thread.join(30)
    assert calls.count("slow") == 1 and len(results) == 8 and all(r is store["slow"] for r in results)


def test_deriving_one_hall_does_not_hold_up_another(app, monkeypatch):
    import threading

    release, started, done = threading.Event(), threading.Event(), []
    real = ModelCache._load

    def slow_load(self, hall, *rest):
        if hall.slug == "guigang":
            started.set()
            assert release.wait(30)
        return real(self, hall, *rest)

    monkeypatch.setattr(ModelCache, "_load", slow_load)
    cache = ModelCache()

    def get_guigang():
        with app.app_context():
            session, hall = _hall(app, "guigang")
            try:
                done.append(cache.get(hall))
            finally:
                session.close()

    thread = threading.Thread(target=get_guigang)
    thread.start()
    try:
        assert started.wait(30)
        with app.app_context():
            session, hall = _hall(app, "pingnan")
            try:
                assert cache.get(hall).hall == "pingnan"  # while guigang is still loading
            finally:
                session.close()
        assert not done
    finally:
        release.set()
        thread.join(30)
    assert done and done[0].hall == "guigang"


def test_a_model_publish_keeps_the_search_revision(tmp_path):
    from server.db import current_revision, search_revision
    from tests.conftest import make_app

    app = make_app(tmp_path, models=True)
    with app.app_context():
        before = (current_revision(), search_revision())
        result = app.test_cli_runner().invoke(args=["model", "build", "guigang"])
        assert result.exit_code == 0, result.output
        after = (current_revision(), search_revision())
        assert int(after[0]) == int(before[0]) + 1 and after[1] == before[1]
        session = app.extensions["db"]()
        try:
            from server.db import bump_revision

            bump_revision(session)  # an edit search may read
            session.commit()
        finally:
            session.close()
        assert current_revision() == search_revision() == str(int(after[0]) + 1)
