"""Backups: ``backup create`` of the demo instance (published models and a few panoramas), ``backup restore``
into a fresh instance answering every API request alike, and every refusal changing nothing."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select, text

from server.backup import archive, database
from server.backup.archive import BackupError, unpack
from server.models import Hall, Kiosk
from tests.conftest import make_app
from tests.test_panorama_store import equirect_file

CLOCK = {"CLOCK": lambda: datetime(2026, 12, 7, 2, 30, tzinfo=UTC)}  # a Monday, 10:30 in the halls
PANORAMAS = [
    ("pingnan", "east", 0),
    ("pingnan", "east", 1),
    ("pingnan", "entrance", 2),
    ("guigang", "lobby", 3),
]


def cli(app, *args):
    return app.test_cli_runner().invoke(args=[str(a) for a in args])


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """The demo instance with its models and four panorama publishes (pingnan/east twice: one superseded)."""
    folder = tmp_path_factory.mktemp("source")
    app = make_app(folder, models=True, **CLOCK)
    for hall, scene, seed in PANORAMAS:
        image = equirect_file(folder / f"{scene}-{seed}.jpg", seed=seed)
        result = cli(app, "panorama", "add", hall, scene, image)
        assert result.exit_code == 0, result.output
    return app


@pytest.fixture(scope="module")
def backup_file(source, tmp_path_factory):
    path = tmp_path_factory.mktemp("backups") / "hall.tar"
    result = cli(source, "backup", "create", path)
    assert result.exit_code == 0, result.output
    assert "已备份 / backed up" in result.output
    return path


@pytest.fixture(scope="module")
def restored(backup_file, tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("restored"), demo=False, **CLOCK)
    result = cli(app, "backup", "restore", backup_file)
    assert result.exit_code == 0, result.output
    return app


def manifest_of(path: Path) -> dict:
    with tarfile.open(path) as tar:
        return json.loads(tar.extractfile(tar.getmember(archive.MANIFEST)).read())


def state(app) -> dict:
    """What a refusal must leave alone: the instance folder's files and every table's rows."""
    instance = Path(app.instance_path)
    files = {
        str(p.relative_to(instance)): p.read_bytes()
        for p in sorted(instance.rglob("*"))
        if p.is_file() and not p.name.startswith("hall.sqlite3")
    }
    engine = app.extensions["db_engine"]
    with engine.connect() as connection:
        metadata = database.reflect(connection)
        rows = {
            t.name: connection.execute(select(t).order_by(*t.primary_key.columns)).all()
            for t in metadata.sorted_tables
        }
    return {"files": files, "rows": rows}


# --- what is in the archive -------------------------------------------------------------------------------


def test_manifest_names_versions_counts_and_every_member(source, backup_file):
    manifest = manifest_of(backup_file)
    assert manifest["format"] == "vhall-backup" and manifest["format_version"] == 1
    assert manifest["app_version"] == archive.app_version() != "unknown"
    with source.extensions["db_engine"].connect() as connection:
        assert manifest["schema_revision"] == connection.scalar(
            text("SELECT version_num FROM alembic_version")
        )
        counts = database.row_counts(connection, database.reflect(connection))
    assert manifest["row_counts"] == counts and counts["halls"] == 2 and counts["counters"] > 10
    assert datetime.fromisoformat(manifest["created_at"]).tzinfo is not None
    with tarfile.open(backup_file) as tar:
        members = tar.getmembers()
        assert members[0].name == "manifest.json"
        assert [m.name for m in members[1:]] == list(manifest["members"])
        for member in members[1:]:
            data = tar.extractfile(member).read()
            assert manifest["members"][member.name] == {
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }


def test_only_the_published_versions_are_in_the_archive(source, backup_file):
    members = manifest_of(backup_file)["members"]
    instance = Path(source.instance_path)
    session = source.extensions["db"]()
    try:
        halls = session.scalars(select(Hall)).all()
        published = {f"files/models/{h.slug}/{h.model_sha}.glb" for h in halls}
        versions = {
            f"{h.slug}/{s.code}/{s.panorama['version']}" for h in halls for s in h.scenes if s.panorama
        }
    finally:
        session.close()
    assert published <= set(members)
    assert {n.split("/", 2)[2].rsplit("/", 1)[0] for n in members if n.startswith("files/models/")} == {
        "pingnan",
        "guigang",
    }
    in_archive = {"/".join(n.split("/")[2:5]) for n in members if n.startswith("files/panoramas/")}
    assert in_archive == versions and len(versions) == 3
    on_disk = {str(p.relative_to(instance / "panoramas")) for p in (instance / "panoramas").glob("*/*/*")}
    assert len(on_disk - versions) == 1  # the superseded version of pingnan/east stays behind


# --- the restored instance answers alike ------------------------------------------------------------------


def fetch(client, url: str) -> tuple[int, str | None, bytes]:
    """Status, ETag and body of GET *url* (the response closed: files are streamed)."""
    with client.get(url) as response:
        return response.status_code, response.headers.get("ETag"), response.data


def api_urls(app) -> list[str]:
    """A GET for every path of the OpenAPI document, for every hall, counter, service and floor (routes for
    a sample of place pairs, a few searches)."""
    client = app.test_client()
    # The public API; the staff API (/admin/…) answers only to a signed-in session, and its rows (users) are
    # compared as tables by the restore tests.
    spec_paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    # The answers to compare: every public GET (a kiosk's heartbeat POST writes its health row, reads nothing).
    paths = {p for p, item in spec_paths.items() if not p.startswith("/admin/") and "get" in item}
    halls = [h["slug"] for h in client.get("/api/v1/halls").get_json()["halls"]]
    with app.app_context():
        session = app.extensions["db"]()
        kiosks: dict[str, list[str]] = {}
        for kiosk in session.scalars(select(Kiosk)):
            kiosks.setdefault(kiosk.hall.slug, []).append(kiosk.code)
        session.close()
    assert kiosks, "the demo halls ship kiosks"
    urls, covered = ["/api/v1/openapi.json", "/api/v1/halls"], {"/openapi.json", "/halls"}
    services: set[str] = set()
    for slug in halls:
        document = client.get(f"/api/v1/halls/{slug}").get_json()
        urls += [f"/api/v1/halls/{slug}", f"/api/v1/halls/{slug}/states", f"/api/v1/halls/{slug}/model.glb"]
        urls.append(f"/api/v1/halls/{slug}/search-index")
        urls.append(document["model_url"])
        for counter in document["counters"]:
            urls.append(f"/api/v1/halls/{slug}/counters/{counter['number']}")
            services.update(s if isinstance(s, str) else s["id"] for s in counter["services"])
        for floor in document["floors"]:
            for lang in ("zh", "en"):
                urls.append(f"{floor['plan_url']}?lang={lang}")
        targets = [f"counter:{c['number']}" for c in document["counters"][::4]]
        targets += [f"facility:{f['id']}" for f in document["facilities"][::5]]
        targets += [f"scene:{s['id']}" for s in document["scenes"][::3]] + ["nearest:toilet"]
        for target in targets:
            for accessible in ("0", "1"):
                query = urlencode({"from": "entrance:main", "to": target, "accessible": accessible})
                urls.append(f"/api/v1/halls/{slug}/route?{query}")
        urls.append(f"/api/v1/search?{urlencode({'q': '社保', 'hall': slug})}")
        for kiosk in kiosks.get(slug, []):  # routes from a kiosk read its row: restored with the rest
            query = urlencode({"from": f"kiosk:{kiosk}", "to": targets[0]})
            urls.append(f"/api/v1/halls/{slug}/route?{query}")
    for service in sorted(services):
        urls += [f"/api/v1/services/{service}", f"/api/v1/services/{service}/qr.svg"]
        urls.append(f"/api/v1/services/{service}/qr.svg?for=mobile")
    for query in ("营业执照", "yyzz", "身份证", "不动产", "toilet", "B03"):
        urls.append(f"/api/v1/search?{urlencode({'q': query})}")
    covered |= {
        "/halls/{hall}",
        "/halls/{hall}/states",
        "/halls/{hall}/search-index",
        "/halls/{hall}/model.glb",
        "/halls/{hall}/counters/{number}",
        "/halls/{hall}/floors/{level}/plan.svg",
        "/halls/{hall}/route",
        "/search",
        "/services/{id}",
        "/services/{id}/qr.svg",
        "/qr.svg",
    }
    urls.append(f"/api/v1/qr.svg?{urlencode({'url': 'https://zwfw.gxzf.gov.cn/'})}")
    assert covered == paths, f"the comparison misses {paths - covered}"
    return urls


def test_every_api_answer_of_the_restored_instance_is_the_same(source, restored):
    before, after = source.test_client(), restored.test_client()
    urls = api_urls(source)
    assert len(urls) > 150
    statuses = set()
    for url in urls:
        answer = fetch(before, url)
        assert fetch(after, url) == answer, url
        statuses.add(answer[0])
    assert 200 in statuses


def test_pages_and_every_published_file_are_the_same(source, restored, backup_file):
    before, after = source.test_client(), restored.test_client()
    members = manifest_of(backup_file)["members"]
    urls = ["/", "/hall/pingnan", "/hall/guigang"]
    urls += ["/" + name.removeprefix("files/") for name in members if name.startswith("files/panoramas/")]
    assert len(urls) > 40
    for url in urls:
        # Tile ETags are Werkzeug's (mtime, size, hash of the absolute path): the only thing that differs.
        status, _etag, data = fetch(before, url)
        assert status == 200 and fetch(after, url)[::2] == (status, data), url
    for name in members:
        if name.startswith("files/"):
            path = name.removeprefix("files/")
            copy = Path(restored.instance_path, path).read_bytes()
            assert copy == Path(source.instance_path, path).read_bytes(), name
    leftovers = [p.name for p in Path(restored.instance_path).iterdir() if p.name.startswith(".restore-")]
    assert leftovers == []


def test_the_restored_database_keeps_sql_null_and_the_revision(source, restored):
    def facts(app):
        with app.extensions["db_engine"].connect() as connection:
            # SQL NULL and JSON null apart (CAST … AS TEXT: the same on SQLite and PostgreSQL).
            counts = connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM scenes WHERE panorama IS NULL),"
                    " (SELECT count(*) FROM scenes WHERE CAST(panorama AS TEXT) = 'null'),"
                    " (SELECT value FROM meta WHERE key = 'catalogue_revision')"
                )
            ).one()
            shas = connection.execute(text("SELECT model_sha FROM halls ORDER BY id")).scalars().all()
            return (*counts, shas)

    assert facts(restored) == facts(source) and facts(source)[0] + facts(source)[1] > 0


# --- refusals change nothing ------------------------------------------------------------------------------


@pytest.fixture
def empty(tmp_path):
    return make_app(tmp_path / "empty", demo=False)


def refused(app, path, code: str) -> str:
    before = state(app)
    result = cli(app, "backup", "restore", path)
    assert result.exit_code == 2, result.output
    assert f"[{code}]" in result.output, result.output
    assert state(app) == before
    assert not [p for p in Path(app.instance_path).iterdir() if p.name.startswith(".restore-")]
    return result.output


def test_a_filled_instance_is_refused(source, backup_file):
    output = refused(source, backup_file, "restore_not_empty")
    assert "只能恢复到空实例" in output and "empty instance" in output
    assert output.index("只能恢复到空实例") < output.index("empty instance")


def test_published_files_in_an_empty_database_are_refused(empty, backup_file):
    stray = Path(empty.instance_path, "models", "pingnan", "old.glb")
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"glTF")
    refused(empty, backup_file, "restore_not_empty")


def rewrite(source: Path, target: Path, *, change=None, extra=()) -> Path:
    """A copy of the archive *source* with its members' bytes changed by *change(name, data)* (checksums
    recomputed) and *extra* TarInfo/bytes pairs appended."""
    with tarfile.open(source) as tar:
        items = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
    manifest = json.loads(items[0][1])
    out = []
    for name, data in items[1:]:
        data = change(name, data) if change else data
        manifest["members"][name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        out.append((name, data))
    if change:
        manifest = json.loads(change(archive.MANIFEST, json.dumps(manifest).encode()))
    with tarfile.open(target, "w") as tar:
        for name, data in [(archive.MANIFEST, json.dumps(manifest).encode()), *out]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info, data in extra:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return target


def test_an_archive_from_a_newer_schema_is_refused(empty, backup_file, tmp_path):
    head = manifest_of(backup_file)["schema_revision"]

    def newer(name, data):
        if name in (archive.MANIFEST, archive.DATABASE):
            return data.replace(f'"{head}"'.encode(), b'"9999"')
        return data

    rewritten = rewrite(backup_file, tmp_path / "newer.tar", change=newer)
    assert manifest_of(rewritten)["schema_revision"] == "9999"
    output = refused(empty, rewritten, "backup_newer_schema")
    assert "更新的数据库结构" in output and "newer database schema" in output


def test_a_changed_byte_is_refused(empty, backup_file, tmp_path):
    data = bytearray(backup_file.read_bytes())
    with tarfile.open(backup_file) as tar:
        member = tar.getmembers()[-1]
    data[member.offset_data + 10] ^= 0xFF
    (tmp_path / "flipped.tar").write_bytes(bytes(data))
    output = refused(empty, tmp_path / "flipped.tar", "backup_corrupt")
    assert "checksum mismatch" in output and "校验和不符" in output


@pytest.mark.parametrize("fraction", [0.0, 0.001, 0.5, 0.95])
def test_a_truncated_archive_is_refused(empty, backup_file, tmp_path, fraction):
    data = backup_file.read_bytes()
    (tmp_path / "cut.tar").write_bytes(data[: int(len(data) * fraction)])
    refused(empty, tmp_path / "cut.tar", "backup_corrupt")


def test_not_an_archive_and_no_file_are_refused(empty, tmp_path):
    (tmp_path / "notes.tar").write_text("hello")
    refused(empty, tmp_path / "notes.tar", "backup_corrupt")
    refused(empty, tmp_path / "absent.tar", "backup_unreadable")


def info(name, kind=tarfile.REGTYPE, size=0, linkname=""):
    member = tarfile.TarInfo(name)
    member.type, member.size, member.linkname = kind, size, linkname
    return member


@pytest.mark.parametrize(
    "extra",
    [
        [(info("/etc/evil", size=4), b"evil")],
        [(info("files/models/../../evil", size=4), b"evil")],
        [(info("../evil", size=4), b"evil")],
        [(info("files/models/pingnan/link.glb", tarfile.SYMTYPE, linkname="/etc/passwd"), None)],
        [(info("files/models/pingnan/hard.glb", tarfile.LNKTYPE, linkname="database.json"), None)],
        [(info("files/models/pingnan/dev", tarfile.CHRTYPE), None)],
        [(info("files/models/pingnan/fifo", tarfile.FIFOTYPE), None)],
        [(info("files/models/pingnan/dir", tarfile.DIRTYPE), None)],
        [(info("files/models/pingnan/extra.glb", size=4), b"glTF")],
        [(info("database.json", size=2), b"{}")],
    ],
    ids=[
        "absolute",
        "dotdot-inside",
        "dotdot",
        "symlink",
        "hardlink",
        "device",
        "fifo",
        "dir",
        "extra",
        "twice",
    ],
)
def test_hostile_members_are_refused(empty, backup_file, tmp_path, extra):
    refused(empty, rewrite(backup_file, tmp_path / "hostile.tar", extra=extra), "backup_corrupt")
    assert not (tmp_path / "evil").exists() and not Path("/etc/evil").exists()


@pytest.mark.parametrize("name", ["/abs.glb", "files/models/../x", "files/etc/passwd", "files/models/a//b"])
def test_hostile_manifest_names_are_refused(empty, backup_file, tmp_path, name):
    def hostile(member, data):
        if member != archive.MANIFEST:
            return data
        manifest = json.loads(data)
        manifest["members"][name] = {"size": 0, "sha256": hashlib.sha256(b"").hexdigest()}
        return json.dumps(manifest).encode()

    output = refused(empty, rewrite(backup_file, tmp_path / "names.tar", change=hostile), "backup_corrupt")
    assert "member name not allowed" in output


def test_a_member_over_the_size_limit_is_refused_before_it_is_read(empty, backup_file, monkeypatch):
    largest = max(manifest_of(backup_file)["members"].values(), key=lambda m: m["size"])["size"]
    monkeypatch.setattr(archive, "MAX_MEMBER_BYTES", largest - 1)
    monkeypatch.setattr(archive, "MAX_DATABASE_BYTES", largest - 1)
    output = refused(empty, backup_file, "backup_corrupt")
    assert "size or checksum" in output


def test_a_failure_halfway_leaves_the_instance_empty(empty, backup_file, monkeypatch):
    loaded = database.load

    def load_then_fail(connection, dumped, **kwargs):
        loaded(connection, dumped, **kwargs)
        raise BackupError("disk_full", "磁盘已满", "the disk is full")

    monkeypatch.setattr(database, "load", load_then_fail)
    before = state(empty)
    result = cli(empty, "backup", "restore", backup_file)
    assert result.exit_code == 2 and "[disk_full]" in result.output
    assert state(empty) == before
    assert before["rows"]["halls"] == [] and set(before["rows"]) > {"halls", "alembic_version"}


def test_restore_into_a_database_without_tables(backup_file, tmp_path):
    app = make_app(tmp_path, demo=False)
    with app.extensions["db_engine"].begin() as connection:
        database.reflect(connection).drop_all(connection)
    result = cli(app, "backup", "restore", backup_file)
    assert result.exit_code == 0, result.output
    assert fetch(app.test_client(), "/api/v1/halls/pingnan/model.glb")[0] == 200


# --- create -----------------------------------------------------------------------------------------------


def test_create_refuses_an_existing_file_unless_forced(source, tmp_path):
    target = tmp_path / "exists.tar"
    target.write_bytes(b"keep me")
    result = cli(source, "backup", "create", target)
    assert result.exit_code == 2 and "[backup_exists]" in result.output and "--force" in result.output
    assert target.read_bytes() == b"keep me"
    result = cli(source, "backup", "create", target, "--force")
    assert result.exit_code == 0, result.output
    assert manifest_of(target)["format"] == "vhall-backup"
    assert [p.name for p in tmp_path.iterdir()] == ["exists.tar"]  # no temporary file left


def test_the_database_is_read_in_one_snapshot(source, tmp_path, monkeypatch):
    """A write committed while the dump is between tables is not in it (each table alone would see it)."""
    read, calls = database.read_table, []

    def read_then_write(connection, table):
        if not calls:
            with source.extensions["db_engine"].begin() as other:
                other.execute(text("UPDATE halls SET published_version = published_version + 1000"))
                other.execute(text("UPDATE counters SET phone = '0000'"))
                other.execute(text("UPDATE meta SET value = value || '0' WHERE key = 'catalogue_revision'"))
        calls.append(table.name)
        return read(connection, table)

    before = state(source)["rows"]
    monkeypatch.setattr(database, "read_table", read_then_write)
    try:
        archive.create(source, tmp_path / "snap.tar")
    finally:
        with source.extensions["db_engine"].begin() as other:  # put the shared instance back
            for statement in (
                "UPDATE halls SET published_version = published_version - 1000",
                "UPDATE meta SET value = substr(value, 1, length(value) - 1) WHERE key = 'catalogue_revision'",
            ):
                other.execute(text(statement))
            for row in before["counters"]:
                other.execute(
                    text("UPDATE counters SET phone = :p WHERE id = :i"), {"p": row.phone, "i": row.id}
                )
    assert len(calls) > 5
    with tarfile.open(tmp_path / "snap.tar") as tar:
        dumped = json.loads(tar.extractfile("database.json").read())
    tables = {t["name"]: t for t in dumped["tables"]}
    for name in ("halls", "counters", "meta"):
        assert [tuple(r) for r in tables[name]["rows"]] != [], name
        assert len(tables[name]["rows"]) == len(before[name])
    versions = [
        dict(zip(tables["halls"]["columns"], r, strict=True))["published_version"]
        for r in tables["halls"]["rows"]
    ]
    assert versions == [row.published_version for row in before["halls"]]
    phones = [
        dict(zip(tables["counters"]["columns"], r, strict=True))["phone"] for r in tables["counters"]["rows"]
    ]
    assert phones == [row.phone for row in before["counters"]]
    assert tables["meta"]["rows"] == [list(row) for row in before["meta"]]
    assert state(source)["rows"] == before


def test_a_backup_during_publishes_is_consistent(tmp_path):
    """A thread publishes two models of the hall by turns while backups are made; every archive verifies,
    holds the model its database points at, and restores to an instance that serves it."""
    from server.cli.model import labels_for
    from server.hallmodel.build import build_glb
    from server.hallmodel.layout import layout_path, load
    from server.publishing.hallmodels import publish

    app = make_app(tmp_path / "busy", models=True)
    session = app.extensions["db"]()
    hall = session.scalar(select(Hall).where(Hall.slug == "pingnan"))
    labels = labels_for(hall)
    first = build_glb(load(layout_path("pingnan")), labels)
    labels.counter_text = {number: f"{text} ·" for number, text in labels.counter_text.items()}
    models = [first, build_glb(load(layout_path("pingnan")), labels)]
    session.close()
    stop, published = threading.Event(), []

    def publisher():
        with app.app_context():
            publishing = app.extensions["db"]()
            try:
                while not stop.is_set():
                    record = publishing.scalar(select(Hall).where(Hall.slug == "pingnan"))
                    publish(app, publishing, record, models[len(published) % 2])
                    published.append(record.model_sha)
            finally:
                publishing.close()

    thread = threading.Thread(target=publisher)
    thread.start()
    try:
        archives = []
        for number in range(4):
            archives.append(tmp_path / f"busy-{number}.tar")
            archive.create(app, archives[-1])
    finally:
        stop.set()
        thread.join(timeout=120)
    assert len(set(published)) == 2, "the publisher did not get to publish both models"
    shas = set()
    for number, path in enumerate(archives):
        staging = tmp_path / f"check-{number}"
        staging.mkdir()
        manifest, dumped = unpack(path, staging)
        halls = {t["name"]: t for t in dumped["tables"]}["halls"]
        rows = [dict(zip(halls["columns"], row, strict=True)) for row in halls["rows"]]
        sha = next(r["model_sha"] for r in rows if r["slug"] == "pingnan")
        assert f"files/models/pingnan/{sha}.glb" in manifest["members"]
        shas.add(sha)
    fresh = make_app(tmp_path / "fresh", demo=False)
    assert cli(fresh, "backup", "restore", archives[-1]).exit_code == 0
    status, _etag, data = fetch(fresh.test_client(), "/api/v1/halls/pingnan/model.glb")
    assert status == 200 and hashlib.sha256(data).hexdigest() in shas
