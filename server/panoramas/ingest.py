"""Equirectangular panorama ingest: uploaded bytes in, a validated upright sRGB ``(H, W, 3) uint8`` array out.

Accepted are JPEG, PNG and WebP, recognised by their content (magic bytes), never by the file name, read
from regular files only (``read_file``: a device, a pipe or a folder is refused before reading, and no
more than ``limits.MAX_FILE_BYTES`` + 1 bytes are read). The size is checked from the header before
anything is decoded, never past ``limits.HARD_MAX_SIZE`` whatever ``max_size`` asks for, so Pillow's
decompression-bomb guard never fires: our own limit (``max_size``) is the guard, and nothing of Pillow's — warning or exception — leaves
this module. JPEG is decoded by libjpeg-turbo through ``simplejpeg`` in strict mode, which reports a scan
that ends before, or runs past, the size in the frame header (Pillow fills or ignores those silently);
PNG's inflated image data is measured against its header for the same reason.

Then, in this order: unusual pixel modes become 8-bit colour (16-bit grey rounds ``v / 257``; palette
expands; CMYK is read with Adobe's inverted convention as Pillow does; alpha is composited on black — the
background Pannellum shows past a partial panorama — so a transparent pixel reads ``(0, 0, 0)``; grey is
repeated into three channels), an embedded ICC profile is converted to sRGB with LittleCMS
(``PIL.ImageCms``, perceptual intent; a profile that is already sRGB is skipped, one that is unreadable or
of the wrong colour space is ignored and the pixels are taken as sRGB), and the EXIF orientation is applied.

The array is ``(H, W, 3) uint8`` RGB. A plain JPEG (the usual upload) comes back as an RGB *view* of a
BGRX buffer (4 bytes a pixel, strides ``(4W, 4, −1)``): the layout OpenCV resamples and encodes fastest,
which ``tiles.tile_panorama`` recognises and uses without a copy. ``np.ascontiguousarray`` packs it.

Every refusal is a :class:`PanoramaError` (a ``ValueError``) with a stable ``code``, a zh-CN ``message``
and an English ``message_en``; ``status`` is the HTTP status the API should answer with.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import zlib
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
import simplejpeg
from PIL import Image, ImageCms, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from ..problems import HallError
from .limits import HARD_MAX_SIZE, MAX_FILE_BYTES, MAX_SIZE, MIN_WIDTH

if TYPE_CHECKING:
    from .metadata import Crop

ASPECT_TOLERANCE = 0.01  # |width / height / 2 − 1| allowed: stitchers round sizes
ALPHA_BACKGROUND = (0, 0, 0)  # transparent pixels become black, as Pannellum's default background
JPEG_TRAILING_SLACK = 1024  # bytes of scan data past the last row tolerated (some cameras pad the scan)
BAND_ROWS = 256  # rows converted at once: bounds the temporary memory of mode and colour conversion
PNG_INFLATE_STEP = 1 << 20  # bytes inflated at once when measuring PNG image data

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SRGB_COLORANT_TOLERANCE = 2e-3  # XYZ difference under which a profile's primaries count as sRGB's

# Formats people upload by mistake, named in the refusal (magic bytes at the start of the file).
OTHER_FORMATS = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"8BPS", "PSD"),
    (b"%PDF", "PDF"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "JPEG 2000"),
    (b"\xff\x0a", "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "JPEG XL"),
)
HEIF_BRANDS = {b"heic": "HEIC", b"heix": "HEIC", b"mif1": "HEIF", b"msf1": "HEIF", b"avif": "AVIF"}

STATUS = {
    "empty_file": 400,
    "not_an_image": 415,
    "unsupported_format": 415,
    "too_large": 413,
    "file_too_large": 413,
    "not_a_file": 400,
    "unreadable": 400,
    "cannot_write": 500,
}  # every other code is 422: a well-formed request whose image cannot be used

_OPENERS = {
    "JPEG": JpegImagePlugin.JpegImageFile,
    "PNG": PngImagePlugin.PngImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
}
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type → samples per pixel
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
_SIXTEEN_BIT = {"I;16", "I;16B", "I;16L", "I;16N", "I"}


class PanoramaError(HallError, ValueError):
    """An uploaded panorama that cannot be used: a stable code and a message in both languages."""

    def __init__(self, code: str, message: str, message_en: str, **details: object) -> None:
        super().__init__(code, message, message_en, status=STATUS.get(code, 422), details=details)


def _error(code: str, **details: object) -> PanoramaError:
    zh, en = _MESSAGES[code]
    return PanoramaError(code, zh.format(**details), en.format(**details), **details)


_MESSAGES = {
    "empty_file": ("文件为空", "The file is empty"),
    "not_an_image": (
        "文件不是图像，请上传 JPEG、PNG 或 WebP 格式的全景图",
        "The file is not an image; upload a JPEG, PNG or WebP panorama",
    ),
    "unsupported_format": (
        "不支持 {format} 格式，请上传 JPEG、PNG 或 WebP 格式的全景图",
        "{format} is not supported; upload a JPEG, PNG or WebP panorama",
    ),
    "truncated": (
        "图像文件不完整（可能上传中断），请重新上传",
        "The image file is truncated (the upload may have been cut off); upload it again",
    ),
    "size_mismatch": (
        "图像文件头声明的尺寸 {width}×{height} 与图像数据不符",
        "The image header says {width}×{height} but the image data does not match",
    ),
    "corrupt": ("图像数据已损坏，无法解码", "The image data is damaged and cannot be decoded"),
    "animated": (
        "不支持动画图像，请上传单张全景图",
        "Animated images are not supported; upload a single panorama",
    ),
    "unsupported_mode": ("不支持的像素格式：{mode}", "Unsupported pixel format: {mode}"),
    "not_equirectangular": (
        "全景图的宽高比必须为 2:1（当前为 {width}×{height}）",
        "An equirectangular panorama must be twice as wide as it is high (got {width}×{height})",
    ),
    "too_small": (
        "全景图宽度至少为 {min_width} 像素（当前为 {width}）",
        "A panorama must be at least {min_width} pixels wide (got {width})",
    ),
    "too_large": (
        "全景图过大：最大 {max_width}×{max_height}（当前为 {width}×{height}）",
        "The panorama is too large: at most {max_width}×{max_height} (got {width}×{height})",
    ),
    "file_too_large": (
        "文件过大：最大 {max_mb} MB",
        "The file is too large: at most {max_mb} MB",
    ),
    "not_a_file": (
        "{path} 不是普通文件（目录、设备或管道不能作为全景图）",
        "{path} is not a regular file (a folder, device or pipe cannot be a panorama)",
    ),
    "unreadable": ("无法读取 {path}：{reason}", "Cannot read {path}: {reason}"),
    "cannot_write": ("无法写入 {path}：{reason}", "Cannot write {path}: {reason}"),
}


def load_equirect(
    source: bytes | str | os.PathLike | BinaryIO,
    *,
    max_size: tuple[int, int] = MAX_SIZE,
    crop: Crop | None = None,
) -> np.ndarray:
    """Read, validate and normalise an uploaded panorama into an upright sRGB ``(H, W, 3) uint8`` array.

    *crop* (``metadata.Crop``, from the file's GPano XMP): the upright image is that part of a full equirect,
    which is checked in its place (2:1, size limits) and returned with the image at its place, black
    elsewhere."""
    max_width, max_height = _check_max_size(max_size)
    data = _read(source)
    fmt = sniff_format(data)
    header = _open(data, fmt, (max_width, max_height))
    orientation = exif_orientation(header.info.get("exif"))
    width, height = header.size
    if orientation >= 5:  # stored on its side: the upright image is height × width
        width, height = height, width
    if crop is not None and (crop.width, crop.height) != (width, height):
        raise ValueError(f"crop {crop.width}×{crop.height} is not the image's {width}×{height}")
    full = (crop.full_width, crop.full_height) if crop is not None else (width, height)
    check_size(*full, max_size=(max_width, max_height))
    if getattr(header, "n_frames", 1) > 1:
        raise _error("animated")
    rgb = _decode_jpeg(data, header) if fmt == "JPEG" else _decode_pillow(data, header, fmt)
    upright = orient(rgb, orientation)
    return pad(upright, crop) if crop is not None else upright


def pad(image: np.ndarray, crop: Crop) -> np.ndarray:
    """The full ``(crop.full_height, crop.full_width, 3) uint8`` equirect with *image* (its cropped area,
    ``(crop.height, crop.width, 3)``) at its place, wrapping across the ±180° seam, black elsewhere."""
    full = np.zeros((crop.full_height, crop.full_width, 3), np.uint8)
    rows = slice(crop.top, crop.top + crop.height)
    first = min(crop.width, crop.full_width - crop.left)  # columns before the right edge
    full[rows, crop.left : crop.left + first] = image[:, :first]
    full[rows, : crop.width - first] = image[:, first:]
    return full


def sniff_format(data: bytes) -> str:
    """``"JPEG"``, ``"PNG"`` or ``"WEBP"`` from the magic bytes of *data*; PanoramaError for anything else."""
    if not data:
        raise _error("empty_file")
    if data.startswith(JPEG_MAGIC):
        return "JPEG"
    if data.startswith(PNG_MAGIC):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    for magic, name in OTHER_FORMATS:
        if data.startswith(magic):
            raise _error("unsupported_format", format=name)
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        raise _error("unsupported_format", format=HEIF_BRANDS[data[8:12]])
    raise _error("not_an_image")


def open_header(data: bytes) -> Image.Image:
    """*data*'s header parsed by its format's Pillow plugin, nothing decoded (the size check is ours, so
    Pillow's decompression-bomb warning never fires); PanoramaError for what is no usable image."""
    return _open(data, sniff_format(data), HARD_MAX_SIZE)


def check_size(width: int, height: int, *, max_size: tuple[int, int] = MAX_SIZE) -> None:
    """Refuse an upright *width* × *height* that is not 2:1, too narrow or beyond *max_size*."""
    max_width, max_height = _check_max_size(max_size)
    if width > max_width or height > max_height:
        raise _error("too_large", width=width, height=height, max_width=max_width, max_height=max_height)
    if height <= 0 or abs(width / height / 2 - 1) > ASPECT_TOLERANCE:
        raise _error("not_equirectangular", width=width, height=height)
    if width < MIN_WIDTH:
        raise _error("too_small", width=width, min_width=MIN_WIDTH)


def exif_orientation(exif: bytes | None) -> int:
    """The EXIF Orientation (1–8) in raw EXIF/TIFF bytes; 1 when absent or unreadable."""
    if not exif:
        return 1
    if exif.startswith(b"Exif\x00\x00"):
        exif = exif[6:]
    order = {b"II": "<", b"MM": ">"}.get(exif[:2])
    if order is None or len(exif) < 8:
        return 1
    ifd = struct.unpack_from(order + "I", exif, 4)[0]
    if ifd + 2 > len(exif):
        return 1
    count = struct.unpack_from(order + "H", exif, ifd)[0]
    for i in range(count):
        entry = ifd + 2 + 12 * i
        if entry + 12 > len(exif):
            return 1
        tag, kind = struct.unpack_from(order + "HH", exif, entry)
        if tag == 0x0112 and kind == 3:  # Orientation, SHORT
            value = struct.unpack_from(order + "H", exif, entry + 8)[0]
            return value if 1 <= value <= 8 else 1
    return 1


def orient(image: np.ndarray, orientation: int) -> np.ndarray:
    """Turn stored pixels ``(H, W, C)`` upright for EXIF *orientation* (1–8): *image* itself for 1, else a
    C-contiguous copy."""
    if orientation not in range(1, 9):
        raise ValueError(f"orientation must be 1–8, got {orientation}")
    view = {
        1: image,
        2: image[:, ::-1],
        3: image[::-1, ::-1],
        4: image[::-1],
        5: image.swapaxes(0, 1),
        6: np.rot90(image, -1),
        7: np.rot90(image, 1)[:, ::-1],
        8: np.rot90(image, 1),
    }[orientation]
    return image if orientation == 1 else np.ascontiguousarray(view)


def sixteen_to_eight(values: np.ndarray) -> np.ndarray:
    """16-bit samples (any integer dtype, 0–65535) to the nearest 8-bit ones: ``round(v / 257)``."""
    wide = np.clip(values, 0, 65535).astype(np.uint32)
    return ((wide + 128) // 257).astype(np.uint8)


def composite(
    colour: np.ndarray, alpha: np.ndarray, background: tuple[int, ...] = ALPHA_BACKGROUND
) -> np.ndarray:
    """Colour ``(H, W, C) uint8`` over *background* by alpha ``(H, W) uint8``: ``(H, W, C) uint8``."""
    a = alpha.astype(np.uint32)[..., None]
    bg = np.asarray(background[: colour.shape[2]], dtype=np.uint32)
    mixed = colour.astype(np.uint32) * a + bg * (255 - a)
    return ((mixed + 127) // 255).astype(np.uint8)


def _check_max_size(max_size: tuple[int, int]) -> tuple[int, int]:
    """*max_size* as ints, never past ``HARD_MAX_SIZE`` whatever an option or a setting asks for."""
    try:
        max_width, max_height = (int(v) for v in max_size)
    except (TypeError, ValueError):
        raise ValueError(f"max_size must be (width, height), got {max_size!r}") from None
    if max_width < MIN_WIDTH or max_height < 1:
        raise ValueError(f"max_size must be at least ({MIN_WIDTH}, 1), got {max_size!r}")
    return min(max_width, HARD_MAX_SIZE[0]), min(max_height, HARD_MAX_SIZE[1])


def read_file(path: str | os.PathLike, *, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file at *path*, at most *limit* of them. A folder, a device (``/dev/zero``),
    a pipe or a link to one is refused before anything is read (opened without blocking, then checked), and
    no more than *limit* + 1 bytes are ever read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        raise _error("unreadable", path=str(path), reason=exc.strerror or str(exc)) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _error("not_a_file", path=str(path))
    with os.fdopen(fd, "rb", buffering=0) as handle:
        try:
            return _bounded(handle, limit)
        except OSError as exc:
            raise _error("unreadable", path=str(path), reason=exc.strerror or str(exc)) from None


def _bounded(handle: BinaryIO, limit: int) -> bytes:
    """Read *handle* to its end, refusing it once more than *limit* bytes came."""
    chunks, size = [], 0
    while size <= limit:
        chunk = handle.read(min(limit + 1 - size, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise _error("file_too_large", max_mb=limit // 2**20)
    return b"".join(chunks)


def file_too_large(limit: int = MAX_FILE_BYTES) -> PanoramaError:
    """The error for a file over *limit* bytes (413), e.g. an upload refused from its length alone."""
    return _error("file_too_large", max_mb=limit // 2**20)


def cannot_write(path: str | os.PathLike, exc: OSError) -> PanoramaError:
    """The error for an output folder (tiles, the instance's panoramas) that cannot be written."""
    return _error("cannot_write", path=str(path), reason=exc.strerror or str(exc))


def _read(source: bytes | str | os.PathLike | BinaryIO) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) > MAX_FILE_BYTES:
            raise _error("file_too_large", max_mb=MAX_FILE_BYTES // 2**20)
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        return read_file(source)
    if hasattr(source, "read"):
        return _bounded(source, MAX_FILE_BYTES)
    raise ValueError(f"source must be bytes, a path or a binary file, got {type(source).__name__}")


def _open(data: bytes, fmt: str, max_size: tuple[int, int]) -> Image.Image:
    """Parse the header only (nothing decoded), mapping every failure to a PanoramaError."""
    if fmt == "WEBP" and len(data) < int.from_bytes(data[4:8], "little") + 8:
        raise _error("truncated")
    try:
        return _OPENERS[fmt](io.BytesIO(data))
    except Image.DecompressionBombError:
        # WebP checks Pillow's own limit while parsing; only a canvas far beyond ours gets here.
        width, height = _webp_size(data)
        raise _error(
            "too_large", width=width, height=height, max_width=max_size[0], max_height=max_size[1]
        ) from None
    except (OSError, SyntaxError, ValueError, IndexError, TypeError, struct.error, EOFError) as exc:
        raise (_error("truncated") if _looks_cut(data, fmt) else _error("corrupt")) from exc


def _webp_size(data: bytes) -> tuple[int, int]:
    """The canvas size a WebP's first chunk declares (VP8X, lossy VP8 or lossless VP8L), else (0, 0)."""
    kind = data[12:16]
    if kind == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if kind == b"VP8 " and len(data) >= 30:
        return struct.unpack_from("<H", data, 26)[0] & 0x3FFF, struct.unpack_from("<H", data, 28)[0] & 0x3FFF
    if kind == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return 0, 0


def _looks_cut(data: bytes, fmt: str) -> bool:
    """Whether *data* lacks the end its format requires (JPEG's EOI, PNG's IEND, WebP's RIFF length)."""
    if fmt == "JPEG":
        return not data.rstrip(b"\x00").endswith(b"\xff\xd9")
    if fmt == "PNG":
        return b"IEND" not in data[-16:]
    return len(data) < int.from_bytes(data[4:8], "little") + 8


def _decode_jpeg(data: bytes, header: Image.Image) -> np.ndarray:
    mode = header.mode
    if mode not in ("RGB", "L", "CMYK"):
        raise _error("unsupported_mode", mode=mode)
    profile = _profile(header.info.get("icc_profile"), mode)
    if mode in ("RGB", "L") and profile is None:  # libjpeg-turbo expands grey to colour while decoding
        return _jpeg_pixels(data, "BGRX", header.size)[..., 2::-1]
    pixels = _jpeg_pixels(data, {"RGB": "RGB", "L": "GRAY", "CMYK": "CMYK"}[mode], header.size)
    if mode == "CMYK":
        np.subtract(255, pixels, out=pixels)  # Adobe's inverted CMYK, as Pillow reads it
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    return _to_srgb(pixels, mode, profile)


def _jpeg_pixels(data: bytes, colorspace: str, size: tuple[int, int]) -> np.ndarray:
    """Decode with libjpeg-turbo into a fresh ``(H, W, C) uint8`` array that owns its memory."""
    channels = {"GRAY": 1, "RGB": 3, "BGRX": 4, "CMYK": 4}[colorspace]
    out = np.empty((size[1], size[0], channels), np.uint8)
    try:
        return simplejpeg.decode_jpeg(data, colorspace=colorspace, strict=True, buffer=out)
    except ValueError as exc:
        text = str(exc)
        if "Premature end of JPEG file" in text or _looks_cut(data, "JPEG"):
            raise _error("truncated") from exc
        if "premature end of data segment" in text or _extraneous(text) > JPEG_TRAILING_SLACK:
            raise _error("size_mismatch", width=size[0], height=size[1]) from exc
        strict_error = exc
    try:  # a warning libjpeg recovers from (a few padding bytes, an odd marker): decode leniently
        return simplejpeg.decode_jpeg(data, colorspace=colorspace, strict=False, buffer=out)
    except ValueError:
        raise _error("corrupt") from strict_error


def _extraneous(text: str) -> int:
    """The byte count of libjpeg's 'N extraneous bytes before marker 0xd9' warning, else 0."""
    if "extraneous bytes before marker 0xd9" not in text:
        return 0
    try:
        return int(text.split("Corrupt JPEG data:")[-1].split()[0])
    except (ValueError, IndexError):
        return JPEG_TRAILING_SLACK + 1


def _decode_pillow(data: bytes, image: Image.Image, fmt: str) -> np.ndarray:
    if fmt == "PNG":
        _check_png_data(data, image.size)
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, struct.error, EOFError, zlib.error) as exc:
        raise (_error("truncated") if _looks_cut(data, fmt) else _error("corrupt")) from exc
    mode = image.mode
    profile_mode = "L" if mode in _SIXTEEN_BIT | {"1", "L", "LA"} else "RGB"
    profile = _profile(image.info.get("icc_profile"), profile_mode)
    if mode == "1":
        image, mode = image.convert("L"), "L"
    elif mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
        mode = image.mode
    if mode in ("RGB", "L") and "transparency" in image.info:
        image = image.convert("RGBA" if mode == "RGB" else "LA")
        mode = image.mode
    if mode not in {"RGB", "RGBA", "L", "LA"} | _SIXTEEN_BIT:
        raise _error("unsupported_mode", mode=mode)
    width, height = image.size
    out = np.empty((height, width, 1 if profile_mode == "L" and profile else 3), np.uint8)
    for top in range(0, height, BAND_ROWS):
        bottom = min(top + BAND_ROWS, height)
        band = np.asarray(image.crop((0, top, width, bottom)))
        if mode in _SIXTEEN_BIT:
            band = sixteen_to_eight(band)
        elif mode in ("RGBA", "LA"):
            band = composite(band[..., :-1] if mode == "RGBA" else band[..., :1], band[..., -1])
        if band.ndim == 2:
            band = band[..., None]
        out[top:bottom] = band
    return _to_srgb(out, "L" if out.shape[2] == 1 else "RGB", profile)


def _check_png_data(data: bytes, size: tuple[int, int]) -> None:
    """Refuse a PNG whose inflated image data is not exactly what its IHDR's size needs."""
    width, height = size
    pos, view, stream, ended, header = 8, memoryview(data), [], False, None
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if pos + 12 + length > len(data):
            break
        if kind == b"IHDR":
            header = data[pos + 8 : pos + 8 + 13]
        elif kind == b"IDAT":
            stream.append(view[pos + 8 : pos + 8 + length])
        elif kind == b"IEND":
            ended = True
            break
        pos += 12 + length
    if header is None or len(header) < 13:
        raise _error("corrupt")
    depth, colour, interlace = header[8], header[9], header[12]
    bits = depth * _PNG_CHANNELS.get(colour, 0)
    if not bits:
        raise _error("corrupt")
    expected = _png_data_length(width, height, bits, interlace)
    inflater, total = zlib.decompressobj(), 0
    try:
        for chunk in stream:
            pending = chunk
            while pending and total <= expected:
                total += len(inflater.decompress(pending, PNG_INFLATE_STEP))
                pending = inflater.unconsumed_tail
    except zlib.error as exc:
        raise (_error("corrupt") if ended else _error("truncated")) from exc
    if total < expected and not ended:
        raise _error("truncated")
    if total != expected:
        raise _error("size_mismatch", width=width, height=height)


def _png_data_length(width: int, height: int, bits: int, interlace: int) -> int:
    """Bytes of filtered scanlines a PNG of this size holds (one filter byte per row, per pass)."""
    if not interlace:
        return height * (1 + (width * bits + 7) // 8)
    total = 0
    for x0, y0, dx, dy in _ADAM7:
        pass_width = (width - x0 + dx - 1) // dx if width > x0 else 0
        pass_height = (height - y0 + dy - 1) // dy if height > y0 else 0
        if pass_width and pass_height:
            total += pass_height * (1 + (pass_width * bits + 7) // 8)
    return total


def _profile(icc: bytes | None, mode: str) -> ImageCms.ImageCmsProfile | None:
    """The embedded profile when it is usable for *mode* and not sRGB already, else None (taken as sRGB)."""
    if not icc:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None
    space = profile.profile.xcolor_space.strip()
    if space != {"RGB": "RGB", "L": "GRAY", "CMYK": "CMYK"}[mode]:
        return None
    if space == "RGB" and _is_srgb(profile):
        return None
    return profile


def _is_srgb(profile: ImageCms.ImageCmsProfile) -> bool:
    """Whether *profile* names itself sRGB and has sRGB's primaries (so converting would change nothing)."""
    description = (profile.profile.profile_description or "").strip().lower()
    if not description.startswith("srgb"):
        return False
    reference = _SRGB.profile
    for ours, theirs in (
        (profile.profile.red_colorant, reference.red_colorant),
        (profile.profile.green_colorant, reference.green_colorant),
        (profile.profile.blue_colorant, reference.blue_colorant),
    ):
        if not ours or not np.allclose(ours[0], theirs[0], atol=SRGB_COLORANT_TOLERANCE):
            return False
    return True


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(pixels: np.ndarray, mode: str, profile: ImageCms.ImageCmsProfile | None) -> np.ndarray:
    """``(H, W, 1|3|4) uint8`` in *mode* (L, RGB, CMYK) with optional profile → sRGB ``(H, W, 3) uint8``."""
    height, width = pixels.shape[:2]
    if mode == "RGB" and profile is None:
        return pixels
    if mode == "L" and profile is None:
        return np.repeat(pixels, 3, axis=2)
    transform = None
    if profile is not None:
        try:
            transform = ImageCms.buildTransform(
                profile, _SRGB, mode, "RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL
            )
        except ImageCms.PyCMSError:
            transform = None
    if transform is None and mode == "L":
        return np.repeat(pixels, 3, axis=2)
    out = pixels if mode == "RGB" else np.empty((height, width, 3), np.uint8)
    for top in range(0, height, BAND_ROWS):
        band = pixels[top : top + BAND_ROWS]
        image = Image.frombytes(mode, (width, band.shape[0]), band.tobytes())
        converted = transform.apply(image) if transform is not None else image.convert("RGB")
        out[top : top + BAND_ROWS] = np.asarray(converted)
    return out
