"""Panorama ingest: formats by content, size limits, damaged files, orientation, modes and colour profiles."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from PIL import Image, ImageCms, ImageOps

from server.panoramas.ingest import (
    MAX_SIZE,
    PanoramaError,
    composite,
    exif_orientation,
    load_equirect,
    orient,
    read_file,
    sixteen_to_eight,
)
from server.panoramas.limits import HARD_MAX_SIZE

W, H = 2048, 1024  # the smallest panorama accepted


def smooth(height: int = H, width: int = W, seed: int = 1) -> np.ndarray:
    """A seeded, smooth-ish ``(height, width, 3) uint8`` image: coarse noise blown up bilinearly."""
    coarse = np.random.default_rng(seed).integers(0, 256, (9, 17, 3)).astype(np.float64)
    rows = np.linspace(0, coarse.shape[0] - 1, height)
    cols = np.linspace(0, coarse.shape[1] - 1, width)
    r0 = np.minimum(rows.astype(int), coarse.shape[0] - 2)
    c0 = np.minimum(cols.astype(int), coarse.shape[1] - 2)
    fr, fc = (rows - r0)[:, None, None], (cols - c0)[None, :, None]
    top = coarse[r0][:, c0] * (1 - fc) + coarse[r0][:, c0 + 1] * fc
    bottom = coarse[r0 + 1][:, c0] * (1 - fc) + coarse[r0 + 1][:, c0 + 1] * fc
    return np.round(top * (1 - fr) + bottom * fr).astype(np.uint8)


def encode(image: Image.Image | np.ndarray, fmt: str, **options) -> bytes:
    """*image* saved as *fmt* into bytes."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def code_of(data: bytes, **options) -> str:
    """The PanoramaError code that loading *data* raises."""
    with pytest.raises(PanoramaError) as caught:
        load_equirect(data, **options)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.message and error.message_en and 400 <= error.status < 500
    return error.code


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    """One PNG chunk with its CRC."""
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_raw(width: int, height: int, depth: int, colour: int, rows: bytes) -> bytes:
    """A PNG from already filtered scanlines (*rows*), any IHDR we like."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def patch_jpeg_size(data: bytes, width: int, height: int) -> bytes:
    """*data* with its baseline frame header (SOF0) claiming *width* × *height*."""
    at = data.index(b"\xff\xc0")
    return data[: at + 5] + struct.pack(">HH", height, width) + data[at + 9 :]


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return smooth()


@pytest.fixture(scope="module")
def jpeg(image) -> bytes:
    return encode(image, "JPEG", quality=95)


# --- formats, recognised by content ---


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_lossless_formats_come_back_exactly(image, fmt):
    options = {"lossless": True} if fmt == "WEBP" else {}
    out = load_equirect(encode(image, fmt, **options))
    assert out.shape == (H, W, 3) and out.dtype == np.uint8
    assert_array_equal(out, image)


def test_jpeg_by_content_not_by_name(tmp_path, image, jpeg):
    misnamed = tmp_path / "panorama.png"  # a JPEG with the wrong extension is still a JPEG
    misnamed.write_bytes(jpeg)
    for source in (misnamed, str(misnamed), io.BytesIO(jpeg), jpeg):
        out = load_equirect(source)
        assert out.shape == (H, W, 3) and out.dtype == np.uint8
        assert out.strides == (4 * W, 4, -1)  # the documented RGB view of a BGRX buffer
        assert np.abs(np.ascontiguousarray(out).astype(int) - image).mean() < 1.5


@pytest.mark.parametrize("options", [{"progressive": True}, {"optimize": True}, {"subsampling": 0}])
def test_jpeg_flavours(image, options):
    out = load_equirect(encode(image, "JPEG", quality=95, **options))
    assert np.abs(np.ascontiguousarray(out).astype(int) - image).mean() < 1.5


def test_png_named_jpg_with_an_image_inside_is_read_as_png(tmp_path, image):
    path = tmp_path / "looks.jpg"
    path.write_bytes(encode(image, "PNG"))
    assert_array_equal(load_equirect(path), image)


def test_empty_file():
    assert code_of(b"") == "empty_file"


def test_not_an_image():
    assert code_of("这不是图像 / not an image at all".encode()) == "not_an_image"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_named(fmt):
    with pytest.raises(PanoramaError) as caught:
        load_equirect(encode(Image.new("RGB", (W, H)), fmt))
    assert caught.value.code == "unsupported_format"
    assert caught.value.details["format"] == fmt
    assert fmt in caught.value.message and fmt in caught.value.message_en
    assert caught.value.status == 415


def test_heic_is_named():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    assert code_of(heic) == "unsupported_format"


# --- sizes, checked from the header before decoding ---


@pytest.mark.parametrize(("width", "height"), [(2048, 1016), (2048, 1030), (4096, 2048)])
def test_two_to_one_within_one_percent_is_accepted(width, height):
    out = load_equirect(encode(Image.new("RGB", (width, height), (9, 8, 7)), "PNG"))
    assert out.shape == (height, width, 3)


@pytest.mark.parametrize(("width", "height"), [(2048, 1536), (2048, 1040), (2048, 1000), (3000, 1000)])
def test_not_two_to_one(width, height):
    assert code_of(encode(Image.new("RGB", (width, height)), "PNG")) == "not_equirectangular"


def test_too_small():
    assert code_of(encode(Image.new("RGB", (1024, 512)), "PNG")) == "too_small"


def test_too_large_for_a_configured_maximum(jpeg):
    assert code_of(encode(Image.new("RGB", (4096, 2048)), "PNG"), max_size=(2048, 1024)) == "too_large"
    assert load_equirect(jpeg, max_size=(2048, 1024)).shape == (H, W, 3)


def test_default_maximum_is_checked_before_decoding():
    # A 32768 × 16384 header over a few bytes of data: refused from the header, nothing allocated.
    huge = png_raw(32768, 16384, 8, 2, b"\x00" * 16)
    with pytest.raises(PanoramaError) as caught:
        load_equirect(huge)
    assert caught.value.code == "too_large" and caught.value.status == 413
    assert caught.value.details["max_width"] == MAX_SIZE[0]


def test_pillows_bomb_guard_never_leaks():
    # 20000 × 10000 is past twice Pillow's MAX_IMAGE_PIXELS: our error, no DecompressionBomb* (warnings are errors).
    assert code_of(png_raw(20000, 10000, 8, 2, b"\x00" * 16)) == "too_large"
    assert code_of(patch_jpeg_size(encode(Image.new("RGB", (64, 32)), "JPEG"), 20000, 10000)) == "too_large"
    # 16384 × 8192 passes Pillow's warning threshold; with our maximum it is simply accepted (header only here).
    assert code_of(png_raw(16384, 8192, 8, 2, b"\x00" * 16)) == "size_mismatch"


def test_webp_canvas_beyond_pillows_guard():
    data = bytearray(
        encode(Image.new("RGB", (64, 32)), "WEBP", exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00")
    )
    assert data[12:16] == b"VP8X"
    data[24:27] = (16383 - 1).to_bytes(3, "little")  # canvas 16383 × 16383: 268 Mpx
    data[27:30] = (16383 - 1).to_bytes(3, "little")
    assert code_of(bytes(data)) == "too_large"


# --- damaged files ---


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_truncated(image, fmt):
    data = encode(image, fmt)
    assert code_of(data[: len(data) // 2]) == "truncated"


def test_truncated_inside_the_header(jpeg):
    assert code_of(jpeg[:200]) == "truncated"


@pytest.mark.parametrize(
    ("rows", "declared_height"), [(1000, 1024), (1000, 1016), (1048, 1024), (1060, 1016)]
)
def test_jpeg_whose_header_size_disagrees_with_its_data(rows, declared_height):
    # The scan holds whole 16-row MCU rows: 1000 rows are 63 of them, 1016 and 1024 need 64, 1048 has 66.
    # Noise, so that one MCU row is tens of kilobytes, far past the slack allowed for padding.
    noise = np.random.default_rng(5).integers(0, 256, (rows, W, 3), dtype=np.uint8)
    data = patch_jpeg_size(encode(noise, "JPEG"), W, declared_height)
    assert code_of(data) == "size_mismatch"


@pytest.mark.parametrize("rows", [1016, 1024])
def test_png_whose_header_size_disagrees_with_its_data(rows):
    scanlines = b"".join(b"\x00" + bytes(W * 3) for _ in range(rows))
    assert code_of(png_raw(W, 1020, 8, 2, scanlines)) == "size_mismatch"


def test_corrupt_header(jpeg):
    broken = jpeg[:20] + b"\xff\xdb\x00\x05zz" + jpeg[20:]  # a quantisation table two bytes long
    assert code_of(broken) == "corrupt"


def test_corrupt_png_data():
    rows = zlib.compress(b"".join(b"\x00" + bytes(W * 3) for _ in range(H)))
    garbled = rows[:10] + bytes(b ^ 0x5A for b in rows[10:40]) + rows[40:]
    header = struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", garbled)
        + png_chunk(b"IEND", b"")
    )
    assert code_of(data) in {"corrupt", "size_mismatch"}


def test_animated():
    frames = [Image.new("RGB", (W, H), c) for c in ((255, 0, 0), (0, 0, 255))]
    data = encode(frames[0], "PNG", save_all=True, append_images=frames[1:])
    assert code_of(data) == "animated"


# --- orientation ---


def test_exif_rotated_jpeg_comes_out_upright():
    # Stored on its side (1024 wide, 2048 high) with Orientation 6: upright it is 2048 × 1024.
    stored = smooth(W, H, seed=4)
    stored[:100, :50] = (255, 0, 0)  # a red block in the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(stored, "JPEG", quality=95, exif=exif.tobytes())
    out = load_equirect(data)
    assert out.shape == (H, W, 3)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))))
    assert np.abs(out.astype(int) - expected).mean() < 1
    # Orientation 6 means "rotate 90° clockwise to view": the stored top-left lands at the top right.
    assert out[10, -60:-10].mean(axis=0) == pytest.approx((255, 0, 0), abs=12)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orient_agrees_with_pillow(orientation):
    stored = np.random.default_rng(orientation).integers(0, 256, (3, 5, 3), dtype=np.uint8)
    pil = Image.fromarray(stored)
    exif = pil.getexif()
    exif[0x0112] = orientation
    pil.info["exif"] = exif.tobytes()
    expected = np.asarray(ImageOps.exif_transpose(pil))
    assert_array_equal(orient(stored, orientation), expected)


def test_exif_orientation_reader():
    for order in ("<", ">"):
        prefix = b"II*\x00" if order == "<" else b"MM\x00*"
        entry = struct.pack(order + "HHIHH", 0x0112, 3, 1, 8, 0)
        raw = prefix + struct.pack(order + "IH", 8, 1) + entry + b"\x00\x00\x00\x00"
        assert exif_orientation(b"Exif\x00\x00" + raw) == 8
        assert exif_orientation(raw) == 8
    assert exif_orientation(None) == 1
    assert exif_orientation(b"Exif\x00\x00garbage") == 1
    assert exif_orientation(b"MM\x00*\xff\xff\xff\xff") == 1


# --- pixel modes ---


def test_cmyk_jpeg_is_converted():
    cmyk = Image.new("CMYK", (W, H), (0, 255, 255, 0))  # no cyan, full magenta and yellow: red
    cmyk.paste((255, 0, 0, 0), (W // 2, 0, W, H))  # full cyan only: cyan
    out = load_equirect(encode(cmyk, "JPEG", quality=95))
    assert_allclose(out[H // 2, W // 4], (255, 0, 0), atol=3)
    assert_allclose(out[H // 2, 3 * W // 4], (0, 255, 255), atol=3)


def test_sixteen_bit_grey_png_is_rounded_to_eight_bits():
    values = np.array([0, 1000, 32896, 40000, 65535], dtype=np.uint16)  # 1000/257 = 3.89, 40000/257 = 155.6
    grey = np.resize(values, (H, W)).astype(np.uint16)
    out = load_equirect(encode(Image.fromarray(grey), "PNG"))
    assert_array_equal(out[0, :5], np.repeat([[0], [4], [128], [156], [255]], 3, axis=1))
    assert_array_equal(sixteen_to_eight(values), [0, 4, 128, 156, 255])


def test_sixteen_bit_rgb_png_keeps_the_high_byte():
    row = np.zeros((W, 3), ">u2")
    row[0] = (0x8080, 0xFFFF, 0x00FF)
    scanline = b"\x00" + row.tobytes()
    out = load_equirect(png_raw(W, H, 16, 2, scanline * H))
    assert_array_equal(out[5, 0], (0x80, 0xFF, 0x00))


def test_palette_png():
    palette = Image.new("P", (W, H))
    palette.putpalette([10, 20, 30, 200, 100, 50] + [0] * 762)
    palette.paste(1, (0, 0, W // 2, H))
    out = load_equirect(encode(palette, "PNG"))
    assert_array_equal(out[0, 0], (200, 100, 50))
    assert_array_equal(out[0, -1], (10, 20, 30))


def test_palette_png_with_transparency_is_composited_on_black():
    palette = Image.new("P", (W, H))
    palette.putpalette([10, 20, 30, 200, 100, 50] + [0] * 762)
    palette.paste(1, (0, 0, W // 2, H))
    out = load_equirect(encode(palette, "PNG", transparency=0))
    assert_array_equal(out[0, 0], (200, 100, 50))
    assert_array_equal(out[0, -1], (0, 0, 0))


def test_rgba_is_composited_on_black():
    rgba = np.zeros((H, W, 4), np.uint8)
    rgba[:, :, :3] = (200, 100, 50)
    rgba[:, : W // 3, 3] = 255
    rgba[:, W // 3 : 2 * W // 3, 3] = 128
    out = load_equirect(encode(rgba, "PNG"))
    assert_array_equal(out[0, 0], (200, 100, 50))
    assert_array_equal(out[0, W // 2], (100, 50, 25))  # round(200·128/255) = 100, 50.2 → 50, 25.1 → 25
    assert_array_equal(out[0, -1], (0, 0, 0))


def test_grey_with_alpha_is_composited_on_black():
    la = Image.new("LA", (W, H), (200, 64))
    out = load_equirect(encode(la, "PNG"))
    assert_array_equal(out[0, 0], (50, 50, 50))  # round(200·64/255) = 50.2 → 50


def test_grey_becomes_rgb():
    grey = Image.new("L", (W, H), 77)
    for fmt in ("PNG", "JPEG"):
        out = load_equirect(encode(grey, fmt))
        assert out.shape == (H, W, 3)
        assert_allclose(out[3, 3], (77, 77, 77), atol=1)


def test_one_bit_png():
    bits = Image.new("1", (W, H), 1)
    assert_array_equal(load_equirect(encode(bits, "PNG"))[0, 0], (255, 255, 255))


def test_composite_known_answer():
    colour = np.array([[[255, 0, 100]]], np.uint8)
    assert_array_equal(composite(colour, np.array([[51]], np.uint8)), [[[51, 0, 20]]])
    assert_array_equal(composite(colour, np.array([[51]], np.uint8), (255, 255, 255)), [[[255, 204, 224]]])


# --- colour profiles ---


def rotated_primaries_profile() -> bytes:
    """sRGB with its primaries rotated: this profile's red is sRGB's green, its green blue, its blue red."""
    raw = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    count = int.from_bytes(raw[128:132], "big")
    table = {bytes(raw[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    where = {tag: bytes(raw[at + 4 : at + 12]) for tag, at in table.items()}
    for tag, source in ((b"rXYZ", b"gXYZ"), (b"gXYZ", b"bXYZ"), (b"bXYZ", b"rXYZ")):
        raw[table[tag] + 4 : table[tag] + 12] = where[source]
    raw[84:100] = bytes(16)  # no profile ID: it no longer matches
    return bytes(raw)


def test_embedded_profile_is_converted_to_srgb():
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[:, : W // 2] = (255, 0, 0)
    data = encode(rgb, "PNG", icc_profile=rotated_primaries_profile())
    out = load_equirect(data)
    assert_allclose(out[0, 0], (0, 255, 0), atol=4)  # this profile's red is sRGB's green
    assert_allclose(out[0, -1], (0, 0, 0), atol=1)


def test_srgb_profile_changes_nothing(image):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    assert_array_equal(load_equirect(encode(image, "PNG", icc_profile=srgb)), image)


def test_profile_of_the_wrong_colour_space_is_ignored():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = load_equirect(encode(Image.new("L", (W, H), 90), "PNG", icc_profile=srgb))
    assert_array_equal(out[0, 0], (90, 90, 90))


def test_unreadable_profile_is_ignored(image):
    assert_array_equal(load_equirect(encode(image, "PNG", icc_profile=b"not a profile")), image)


def test_bad_arguments(jpeg):
    with pytest.raises(ValueError, match="max_size"):
        load_equirect(jpeg, max_size=(100, 50))
    with pytest.raises(ValueError, match="source"):
        load_equirect(12345)
    with pytest.raises(ValueError, match="orientation"):
        orient(np.zeros((2, 2, 3), np.uint8), 9)


# --- hostile files: only regular files, bounded reads, a hard upper size ---


def not_regular_files(tmp_path):
    """A device, a pipe nobody writes to, a folder, and links to each (read_file must never hang on them)."""
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.jpg"
    folder.mkdir()
    paths = {"/dev/zero": Path("/dev/zero"), "a FIFO": fifo, "a folder": folder}
    for name, target in list(paths.items()):
        link = tmp_path / f"link-{len(paths)}.jpg"
        link.symlink_to(target)
        paths[f"a link to {name}"] = link
    return paths


def test_only_regular_files_are_read(tmp_path):
    for name, path in not_regular_files(tmp_path).items():
        with pytest.raises(PanoramaError) as caught:
            load_equirect(path)
        assert caught.value.code == "not_a_file", name
        assert "不是普通文件" in caught.value.message and "not a regular file" in caught.value.message_en


def test_reads_stop_past_the_file_size_limit(tmp_path):
    huge = tmp_path / "huge.jpg"
    with open(huge, "wb") as handle:
        handle.truncate(1 << 40)  # a sparse terabyte: read whole, it could never fit in memory
    with pytest.raises(PanoramaError) as caught:
        read_file(huge, limit=1 << 20)
    assert caught.value.code == "file_too_large" and caught.value.status == 413
    exact = tmp_path / "exact.bin"
    exact.write_bytes(b"x" * 1000)
    assert read_file(exact, limit=1000) == b"x" * 1000
    with pytest.raises(PanoramaError, match="at most 0 MB"):
        read_file(exact, limit=999)
    with pytest.raises(PanoramaError) as missing:
        read_file(tmp_path / "absent.jpg")
    assert missing.value.code == "unreadable"


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_a_bomb_is_refused_from_its_header_whatever_size_is_asked_for(kind):
    header = (
        png_raw(60000, 30000, 8, 2, b"\x00" * 16)
        if kind == "PNG"
        else patch_jpeg_size(encode(Image.new("RGB", (64, 32)), "JPEG"), 60000, 30000)
    )
    with pytest.raises(PanoramaError) as caught:
        load_equirect(header, max_size=(60000, 30000))
    assert caught.value.code == "too_large"
    assert caught.value.details["max_width"] == HARD_MAX_SIZE[0] == 16384
    assert "16384×8192" in caught.value.message_en and "60000×30000" in caught.value.message
