"""Real 360° camera metadata: GPano XMP and EXIF written into test JPEGs here, read back without trusting them,
partial panoramas padded into their full equirect, and ``panorama add`` using and storing what it found."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from server.models import Hall, Scene
from server.panoramas.ingest import PanoramaError, load_equirect
from server.panoramas.metadata import Crop, read_metadata
from tests.conftest import make_app

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
GPANO = "http://ns.google.com/photos/1.0/panorama/"


def xmp_packet(*, as_elements: bool = False, **fields: object) -> bytes:
    """An XMP packet (as cameras write it, in an xpacket wrapper) with GPano *fields*, as attributes of
    ``rdf:Description`` or as its child elements."""
    if as_elements:
        body = "".join(f"<GPano:{k}>{v}</GPano:{k}>" for k, v in fields.items())
        description = f'<rdf:Description rdf:about="" xmlns:GPano="{GPANO}">{body}</rdf:Description>'
    else:
        attributes = " ".join(f'GPano:{k}="{v}"' for k, v in fields.items())
        description = f'<rdf:Description rdf:about="" xmlns:GPano="{GPANO}" {attributes}/>'
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{RDF}">{description}</rdf:RDF></x:xmpmeta>'
        '<?xpacket end="w"?>'
    ).encode()


def exif_bytes(*, orientation: int = 1, taken: str | None = None, offset: str | None = None) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "RICOH"  # Make
    exif[0x0110] = "THETA Z1"  # Model
    exif[0x0112] = orientation
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken  # DateTimeOriginal
    if offset:
        exif.get_ifd(0x8769)[0x9011] = offset  # OffsetTimeOriginal
    return exif.tobytes()


def pattern(width: int, height: int) -> np.ndarray:
    """A smooth, bright image (never black, so padding is told from the picture)."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([64 + x * 128 // width, 64 + y * 128 // height, np.full_like(x, 160)], -1).astype(
        np.uint8
    )


def photo(width: int, height: int, *, xmp: bytes | None = None, exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    options = {"quality": 95}
    if xmp is not None:
        options["xmp"] = xmp
    if exif is not None:
        options["exif"] = exif
    Image.fromarray(pattern(width, height)).save(out, format="JPEG", **options)
    return out.getvalue()


FULL = {"ProjectionType": "equirectangular", "FullPanoWidthPixels": 2048, "FullPanoHeightPixels": 1024}


def partial_photo(heading: float, *, exif: bytes | None = None) -> bytes:
    """A 360° camera's partial panorama: 2048×512 cut from a 2048×1024 sphere 256 rows from the top (pitch 45° …
    −45°), its camera facing *heading*."""
    crop = {"CroppedAreaImageWidthPixels": 2048, "CroppedAreaImageHeightPixels": 512}
    crop |= {"CroppedAreaLeftPixels": 0, "CroppedAreaTopPixels": 256}
    return photo(2048, 512, xmp=xmp_packet(**FULL, PoseHeadingDegrees=heading, **crop), exif=exif)


def test_a_full_panorama_gives_heading_capture_time_and_camera():
    data = photo(
        2048,
        1024,
        xmp=xmp_packet(**FULL, PoseHeadingDegrees="350.5"),
        exif=exif_bytes(taken="2026:11:20 10:31:05", offset="+08:00"),
    )
    meta = read_metadata(data)
    # A compass heading of 350.5° is our bearing −9.5° (conventions: wrapped into (−180, 180]).
    assert meta.heading == pytest.approx(-9.5)
    assert meta.crop is None and meta.partial is None and meta.warnings == []
    assert meta.captured_at == "2026-11-20T10:31:05+08:00"
    assert meta.camera == {"make": "RICOH", "model": "THETA Z1"}
    assert meta.projection == "equirectangular"
    assert meta.to_dict() == {
        "heading": -9.5,
        "projection": "equirectangular",
        "captured_at": "2026-11-20T10:31:05+08:00",
        "camera": {"make": "RICOH", "model": "THETA Z1"},
    }


def test_gpano_as_elements_is_read_too():
    meta = read_metadata(photo(2048, 1024, xmp=xmp_packet(as_elements=True, **FULL, PoseHeadingDegrees=90)))
    assert meta.heading == 90


def test_a_partial_panorama_is_padded_into_the_full_equirect_at_its_place():
    # 2048×512 cut from a 2048×1024 sphere 256 rows from the top: rows 256–767, pitch 45° … −45°.
    data = photo(
        2048,
        512,
        xmp=xmp_packet(
            **FULL,
            CroppedAreaImageWidthPixels=2048,
            CroppedAreaImageHeightPixels=512,
            CroppedAreaLeftPixels=0,
            CroppedAreaTopPixels=256,
        ),
    )
    meta = read_metadata(data)
    assert meta.crop == Crop(full_width=2048, full_height=1024, left=0, top=256, width=2048, height=512)
    assert meta.partial == {"yaw": [-180.0, 180.0], "pitch": [-45.0, 45.0]}
    assert [w["code"] for w in meta.warnings] == ["partial"]
    assert meta.warnings[0]["zh"] == (
        "局部全景图：只覆盖水平 360°（偏航 -180°…180°）、垂直 90°（俯仰 -45°…45°），其余部分显示为黑色"
    )
    assert meta.warnings[0]["en"] == (
        "A partial panorama: it covers 360° across (yaw -180°…180°) and 90° up and down (pitch -45°…45°); "
        "the rest shows black"
    )
    with pytest.raises(PanoramaError) as refused:
        load_equirect(data)  # without its crop the image is not 2:1
    assert refused.value.code == "not_equirectangular"
    full = load_equirect(data, crop=meta.crop)
    assert full.shape == (1024, 2048, 3)
    assert not full[:256].any() and not full[768:].any()  # black outside the covered area
    inside = full[256:768].astype(int)
    assert np.abs(inside - pattern(2048, 512)).mean() < 2  # the photo itself, JPEG-close


def test_a_partial_panorama_wraps_across_the_seam_and_scales_with_a_resized_image():
    # GPano numbers of a 4096×2048 sphere; the file was halved to 1024×512 after stitching. Left 3584 → 1792 in
    # the 2048-wide result: 256 columns before the right edge, the other 768 from the left edge on.
    data = photo(
        1024,
        512,
        xmp=xmp_packet(
            ProjectionType="equirectangular",
            FullPanoWidthPixels=4096,
            FullPanoHeightPixels=2048,
            CroppedAreaImageWidthPixels=2048,
            CroppedAreaImageHeightPixels=1024,
            CroppedAreaLeftPixels=3584,
            CroppedAreaTopPixels=512,
        ),
    )
    meta = read_metadata(data)
    assert meta.crop == Crop(full_width=2048, full_height=1024, left=1792, top=256, width=1024, height=512)
    assert meta.partial == {"yaw": [135.0, 315.0], "pitch": [-45.0, 45.0]}
    full = load_equirect(data, crop=meta.crop)
    image = pattern(1024, 512).astype(int)
    assert np.abs(full[256:768, 1792:].astype(int) - image[:, :256]).mean() < 2
    assert np.abs(full[256:768, :768].astype(int) - image[:, 256:]).mean() < 2
    assert not full[256:768, 768:1792].any()


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"PoseHeadingDegrees": "NaN"}, "implausible"),
        ({"PoseHeadingDegrees": "1e309"}, "implausible"),
        ({"PoseHeadingDegrees": "north"}, "implausible"),
        ({**FULL, "FullPanoWidthPixels": -5, "CroppedAreaImageWidthPixels": 2048}, "implausible"),
        ({**FULL, "FullPanoWidthPixels": 99999999999}, "implausible"),
        (
            {
                **FULL,
                "CroppedAreaImageWidthPixels": 2048,
                "CroppedAreaImageHeightPixels": 900,
                "CroppedAreaLeftPixels": 0,
                "CroppedAreaTopPixels": 500,  # 500 + 900 rows run past the 1024 of the sphere
            },
            "implausible",
        ),
        (
            {
                **FULL,
                "CroppedAreaImageWidthPixels": 1000,  # the image is 2048×1024: not this crop, nor scaled
                "CroppedAreaImageHeightPixels": 1000,
                "CroppedAreaLeftPixels": 0,
                "CroppedAreaTopPixels": 0,
            },
            "crop_mismatch",
        ),
        (
            {
                "ProjectionType": "cylindrical",
                "FullPanoWidthPixels": 2048,
                "FullPanoHeightPixels": 1024,
                "CroppedAreaImageWidthPixels": 2048,
                "CroppedAreaImageHeightPixels": 512,
                "CroppedAreaLeftPixels": 0,
                "CroppedAreaTopPixels": 256,
            },
            "not_equirectangular",
        ),
    ],
)
def test_absurd_metadata_is_a_named_warning_and_ignored(fields, code):
    meta = read_metadata(photo(2048, 1024, xmp=xmp_packet(**fields)))
    assert code in [w["code"] for w in meta.warnings]
    assert meta.crop is None and meta.heading is None
    assert all(w["zh"] and w["en"] and w["zh"] != w["en"] for w in meta.warnings)
    assert load_equirect(photo(2048, 1024, xmp=xmp_packet(**fields))).shape == (1024, 2048, 3)


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&lol3;</x:xmpmeta>'
)


@pytest.mark.parametrize("xmp", [b"<x:xmpmeta <<< not xml", BOMB, b"<a>" * 5000])
def test_bad_or_hostile_xmp_is_a_warning_not_a_crash(xmp):
    meta = read_metadata(photo(2048, 1024, xmp=xmp))
    assert [w["code"] for w in meta.warnings] == ["bad_xmp"]
    assert meta.heading is None and meta.crop is None


def test_exif_orientation_warns_and_a_bad_capture_time_is_left_out():
    meta = read_metadata(photo(1024, 2048, exif=exif_bytes(orientation=6, taken="2026:13:45 99:00:00")))
    assert meta.orientation == 6 and [w["code"] for w in meta.warnings] == ["rotated"]
    assert meta.captured_at is None and meta.camera == {"make": "RICOH", "model": "THETA Z1"}


def test_the_largest_panorama_header_is_read_without_pillows_bomb_warning():
    # 16384×8192 (our hard limit) is past Pillow's own pixel limit, whose warning is an error in tests.
    data = photo(2048, 1024, xmp=xmp_packet(**FULL, PoseHeadingDegrees=10))
    at = data.index(b"\xff\xc0")
    big = data[: at + 5] + struct.pack(">HH", 8192, 16384) + data[at + 9 :]
    assert read_metadata(big).heading == 10


def test_a_file_that_is_no_image_has_empty_metadata():
    meta = read_metadata(b"not an image at all")
    assert meta.to_dict() == {} and meta.warnings == []


# ---- panorama add ----


@pytest.fixture(scope="module")
def meta_app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("metadata"))


def scene_row(app, code="east"):
    session = app.extensions["db"]()
    try:
        return session.scalar(select(Scene).join(Hall).where(Hall.slug == "pingnan", Scene.code == code))
    finally:
        session.close()


def test_panorama_add_prints_the_metadata_uses_the_pose_heading_and_stores_it(meta_app, tmp_path):
    source = tmp_path / "theta.jpg"
    source.write_bytes(partial_photo(200, exif=exif_bytes(taken="2026:11:20 10:31:05")))
    result = meta_app.test_cli_runner().invoke(args=["panorama", "add", "pingnan", "east", str(source)])
    assert result.exit_code == 0, result.output
    assert "拍摄时间 / captured: 2026-11-20T10:31:05" in result.output
    assert "相机 / camera: RICOH THETA Z1" in result.output
    assert "注意 / warning [partial]: 局部全景" in result.output
    assert "朝向 / heading: -160°" in result.output  # 200° compass = bearing −160°
    scene = scene_row(meta_app)
    assert scene.heading == -160
    stored = scene.panorama["source"]["metadata"]
    assert stored["partial"] == {"yaw": [-180.0, 180.0], "pitch": [-45.0, 45.0]}
    assert stored["heading"] == -160 and stored["captured_at"] == "2026-11-20T10:31:05"
    assert scene.panorama["width"] == 2048 and scene.panorama["height"] == 1024  # padded to the full sphere

    again = meta_app.test_cli_runner().invoke(
        args=["panorama", "add", "pingnan", "east", str(source), "--heading", "12.5"]
    )
    assert again.exit_code == 0, again.output
    assert "朝向 / heading: 12.5°" in again.output and scene_row(meta_app).heading == 12.5


def test_panorama_add_without_metadata_keeps_the_heading(meta_app, tmp_path):
    before = scene_row(meta_app, "entrance").heading
    source = tmp_path / "plain.jpg"
    source.write_bytes(photo(2048, 1024))
    result = meta_app.test_cli_runner().invoke(args=["panorama", "add", "pingnan", "entrance", str(source)])
    assert result.exit_code == 0, result.output
    assert "朝向" not in result.output and "注意" not in result.output
    row = scene_row(meta_app, "entrance")
    assert row.heading == before and "metadata" not in row.panorama["source"]
