"""What a 360° camera writes about its panorama: Google's Photo Sphere XMP (GPano) and EXIF, read from the
uploaded bytes without trusting them.

GPano (namespace ``http://ns.google.com/photos/1.0/panorama/``, attributes or elements of any
``rdf:Description``): ``ProjectionType``, ``PoseHeadingDegrees`` (the compass heading of the full
panorama's centre column), ``FullPanoWidthPixels`` / ``FullPanoHeightPixels`` and the cropped area's
``CroppedAreaImageWidthPixels`` / ``…HeightPixels`` / ``CroppedAreaLeftPixels`` / ``CroppedAreaTopPixels``.
EXIF: capture time (``DateTimeOriginal`` with ``OffsetTimeOriginal``, else ``DateTime``), orientation,
camera make and model.

Reading is bounded (an XMP packet over ``MAX_XMP_BYTES`` is not parsed; ``defusedxml`` refuses entities and
DTDs, so no XML bomb expands; text fields are cut to ``MAX_TEXT``) and never raises for what the file says:
bad XML, absurd numbers, a projection that is not equirectangular or a crop that does not fit the image
become a named warning (``{code, zh, en}``) and the field is ignored. Whether the image itself can be used
is ``ingest``'s business (an unreadable header gives empty metadata here and the ingest error there).

Result (:class:`PanoramaMetadata`): the heading in our convention (``conventions``: a scene's heading is the
model bearing of the centre column, so it is the pose heading wrapped into (−180, 180]; the hall model's
north, −Z, is taken to be true north), the crop of a *partial* panorama in the upright image's pixels
(``Crop``; ``ingest.load_equirect(crop=…)`` pads it into the full equirect at its place, black elsewhere)
with the yaw/pitch range it covers, the capture time (ISO 8601) and the camera.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from PIL import Image

from ..conventions import wrap_degrees
from .ingest import PanoramaError, exif_orientation, open_header

GPANO = "http://ns.google.com/photos/1.0/panorama/"
MAX_XMP_BYTES = 256 * 1024  # a GPano packet is ~1 KB; a JPEG APP1 segment holds 64 KB at most
MAX_XMP_NODES = 10_000  # elements and attributes looked at while searching the parsed packet
MAX_PIXELS = 1 << 20  # GPano sizes above this are taken as nonsense, not as a panorama
SCALE_TOLERANCE = 0.01  # relative difference allowed between the width and height scales of a resized crop
MAX_TEXT = 64  # characters kept of a camera make, model or projection name
EXIF_IFD, MAKE, MODEL, DATE_TIME = 0x8769, 0x010F, 0x0110, 0x0132
DATE_TIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011

_FIELDS = (
    "ProjectionType",
    "PoseHeadingDegrees",
    "FullPanoWidthPixels",
    "FullPanoHeightPixels",
    "CroppedAreaImageWidthPixels",
    "CroppedAreaImageHeightPixels",
    "CroppedAreaLeftPixels",
    "CroppedAreaTopPixels",
)
_OFFSET = re.compile(r"^[+-]\d{2}:\d{2}$")

WARNINGS = {
    "partial": (
        "局部全景图：只覆盖水平 {yaw_span}°（偏航 {yaw_min}°…{yaw_max}°）、垂直 {pitch_span}°"
        "（俯仰 {pitch_min}°…{pitch_max}°），其余部分显示为黑色",
        "A partial panorama: it covers {yaw_span}° across (yaw {yaw_min}°…{yaw_max}°) and {pitch_span}° "
        "up and down (pitch {pitch_min}°…{pitch_max}°); the rest shows black",
    ),
    "rotated": (
        "照片已按 EXIF 方向标记（{orientation}）转正，请确认地平线水平",
        "The photo was turned upright by its EXIF orientation ({orientation}); check that the horizon is level",
    ),
    "not_equirectangular": (
        "全景元数据的投影类型是 {projection}，不是等距柱状投影（equirectangular），其裁切信息已忽略",
        "The panorama metadata's projection is {projection}, not equirectangular; its cropped area is ignored",
    ),
    "bad_xmp": (
        "全景元数据（XMP）无法读取，已忽略",
        "The panorama metadata (XMP) cannot be read and was ignored",
    ),
    "xmp_too_large": (
        "全景元数据（XMP）超过 {max_kb} KB，已忽略",
        "The panorama metadata (XMP) is over {max_kb} KB and was ignored",
    ),
    "implausible": (
        "全景元数据 {field} 的值 {value} 不合理，已忽略",
        "The panorama metadata's {field} of {value} is implausible and was ignored",
    ),
    "crop_mismatch": (
        "全景元数据的裁切区域 {crop_width}×{crop_height} 与图像尺寸 {width}×{height} 不符，已忽略",
        "The panorama metadata's cropped area {crop_width}×{crop_height} does not match the image's "
        "{width}×{height}; it is ignored",
    ),
}


def warning(code: str, **details: Any) -> dict[str, str]:
    """The named warning *code* in both languages: ``{code, zh, en}``."""
    zh, en = WARNINGS[code]
    return {"code": code, "zh": zh.format(**details), "en": en.format(**details)}


@dataclass(frozen=True)
class Crop:
    """Where an upright ``width`` × ``height`` image lies in its full ``full_width`` × ``full_height`` equirect
    (pixels, ``left`` from the full image's left edge, wrapping across it; ``top`` from its top)."""

    full_width: int
    full_height: int
    left: int
    top: int
    width: int
    height: int

    def __post_init__(self) -> None:
        if not (
            0 < self.width <= self.full_width
            and self.height > 0
            and 0 <= self.left < self.full_width
            and self.top >= 0
            and self.top + self.height <= self.full_height
        ):
            raise ValueError(f"crop does not fit its full panorama: {self}")

    @property
    def is_full(self) -> bool:
        return self.width == self.full_width and self.height == self.full_height

    def covered(self) -> dict[str, list[float]]:
        """The yaw and pitch ranges (degrees, ``[min, max]``, rounded to 0.01°) the image covers; yaw as in
        ``conventions`` (0 at the full panorama's centre column), its max above 180 when the range wraps."""
        yaw_min = self.left / self.full_width * 360.0 - 180.0
        yaw_max = yaw_min + self.width / self.full_width * 360.0
        pitch_max = 90.0 - self.top / self.full_height * 180.0
        pitch_min = pitch_max - self.height / self.full_height * 180.0
        return {
            "yaw": [round(yaw_min, 2), round(yaw_max, 2)],
            "pitch": [round(pitch_min, 2), round(pitch_max, 2)],
        }


@dataclass
class PanoramaMetadata:
    """What the file says about itself, checked (see the module docstring)."""

    heading: float | None = None
    crop: Crop | None = None  # only for a partial panorama whose crop fits the image
    projection: str | None = None
    captured_at: str | None = None
    camera: dict[str, str] | None = None
    orientation: int = 1
    warnings: list[dict[str, str]] = field(default_factory=list)

    @property
    def partial(self) -> dict[str, list[float]] | None:
        """The yaw/pitch range a partial panorama covers, or None for a full one."""
        return self.crop.covered() if self.crop is not None else None

    def to_dict(self) -> dict[str, Any]:
        """JSON for a scene's panorama ``source`` (None fields left out)."""
        out: dict[str, Any] = {
            "heading": self.heading,
            "projection": self.projection,
            "partial": self.partial,
            "captured_at": self.captured_at,
            "camera": self.camera,
            "orientation": self.orientation if self.orientation != 1 else None,
            "warnings": self.warnings or None,
        }
        return {k: v for k, v in out.items() if v is not None}


def read_metadata(data: bytes) -> PanoramaMetadata:
    """The GPano XMP and EXIF of panorama file *data* (JPEG, PNG or WebP bytes); never raises for the file's
    content: what cannot be used is a warning, and an unreadable header gives empty metadata."""
    meta = PanoramaMetadata()
    try:
        image = open_header(data)  # nothing decoded
    except PanoramaError:  # ingest tells why
        return meta
    size = image.size
    with image:
        _read_exif(image, meta)
        width, height = (size[1], size[0]) if meta.orientation >= 5 else size
        if meta.orientation != 1:
            meta.warnings.append(warning("rotated", orientation=meta.orientation))
        _read_gpano(image, meta, width, height)
    return meta


# ---- EXIF ----


def _read_exif(image: Image.Image, meta: PanoramaMetadata) -> None:
    raw = image.info.get("exif")
    meta.orientation = exif_orientation(raw if isinstance(raw, bytes) else None)
    try:
        exif = image.getexif()
        details = exif.get_ifd(EXIF_IFD)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError, IndexError, UnicodeDecodeError):
        return
    camera = {k: v for k, v in (("make", _text(exif.get(MAKE))), ("model", _text(exif.get(MODEL)))) if v}
    meta.camera = camera or None
    taken = details.get(DATE_TIME_ORIGINAL) or exif.get(DATE_TIME)
    meta.captured_at = _capture_time(taken, details.get(OFFSET_TIME_ORIGINAL) if taken else None)


def _text(value: Any) -> str | None:
    """A short printable text of an EXIF or XMP string value, or None."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    text = "".join(ch for ch in value if ch.isprintable()).strip()[:MAX_TEXT]
    return text or None


def _capture_time(value: Any, offset: Any) -> str | None:
    """EXIF ``YYYY:MM:DD HH:MM:SS`` (and an offset ``+08:00``) as ISO 8601; None when it is no valid time."""
    text = _text(value)
    if text is None:
        return None
    try:
        moment = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    iso = moment.isoformat()
    zone = _text(offset)
    return iso + zone if zone and _OFFSET.match(zone) else iso


# ---- GPano XMP ----


def _read_gpano(image: Image.Image, meta: PanoramaMetadata, width: int, height: int) -> None:
    raw = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
    if not raw:
        return
    if len(raw) > MAX_XMP_BYTES:
        meta.warnings.append(warning("xmp_too_large", max_kb=MAX_XMP_BYTES // 1024))
        return
    try:
        tree = image.getxmp(strip_namespaces=False)
    except (ValueError, SyntaxError, TypeError, RecursionError):  # defusedxml's refusals are ValueErrors
        meta.warnings.append(warning("bad_xmp"))
        return
    values = _gpano_values(tree)
    if not values:
        return
    projection = _text(values.get("ProjectionType"))
    meta.projection = projection
    heading = _number(values, "PoseHeadingDegrees", -360.0, 720.0, meta)
    if heading is not None:
        meta.heading = round(wrap_degrees(heading), 6)
    if projection is not None and projection.lower() != "equirectangular":
        meta.warnings.append(warning("not_equirectangular", projection=projection))
        return
    meta.crop = _crop(values, meta, width, height)
    if meta.crop is not None:
        covered = meta.crop.covered()
        meta.warnings.append(
            warning(
                "partial",
                yaw_span=f"{round(covered['yaw'][1] - covered['yaw'][0], 2):g}",
                pitch_span=f"{round(covered['pitch'][1] - covered['pitch'][0], 2):g}",
                yaw_min=f"{covered['yaw'][0]:g}",
                yaw_max=f"{covered['yaw'][1]:g}",
                pitch_min=f"{covered['pitch'][0]:g}",
                pitch_max=f"{covered['pitch'][1]:g}",
            )
        )


def _gpano_values(tree: Any) -> dict[str, Any]:
    """The first value of each GPano field anywhere in Pillow's XMP tree (attributes or elements)."""
    found: dict[str, Any] = {}
    pending, seen = [tree], 0
    while pending and seen < MAX_XMP_NODES:
        node = pending.pop()
        seen += 1
        if isinstance(node, list):
            pending.extend(reversed(node))
        elif isinstance(node, dict):
            for key, value in node.items():
                seen += 1
                if isinstance(key, str) and key.startswith("{" + GPANO + "}"):
                    name = key[len(GPANO) + 2 :]
                    if name in _FIELDS and name not in found:
                        found[name] = value.get("text") if isinstance(value, dict) else value
                if isinstance(value, dict | list):
                    pending.append(value)
    return found


def _number(
    values: dict[str, Any], name: str, low: float, high: float, meta: PanoramaMetadata
) -> float | None:
    """Field *name* as a finite number in [low, high]; absent → None, anything else → a warning and None."""
    raw = values.get(name)
    if raw is None:
        return None
    text = _text(raw) or ""
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and low <= number <= high):
        meta.warnings.append(warning("implausible", field=name, value=text[:20] or "?"))
        return None
    return number


def _integer(values: dict[str, Any], name: str, low: int, high: int, meta: PanoramaMetadata) -> int | None:
    number = _number(values, name, low, high, meta)
    if number is None:
        return None
    if number != int(number):
        meta.warnings.append(warning("implausible", field=name, value=f"{number:g}"))
        return None
    return int(number)


def _crop(values: dict[str, Any], meta: PanoramaMetadata, width: int, height: int) -> Crop | None:
    """The crop of a partial panorama, in the upright image's pixels (the GPano numbers scaled when the image
    was resized after stitching); None for a full panorama or one whose fields are missing or do not fit."""
    names = _FIELDS[2:]
    if not any(name in values for name in names):
        return None
    full_w = _integer(values, "FullPanoWidthPixels", 1, MAX_PIXELS, meta)
    full_h = _integer(values, "FullPanoHeightPixels", 1, MAX_PIXELS, meta)
    crop_w = _integer(values, "CroppedAreaImageWidthPixels", 1, MAX_PIXELS, meta)
    crop_h = _integer(values, "CroppedAreaImageHeightPixels", 1, MAX_PIXELS, meta)
    left = _integer(values, "CroppedAreaLeftPixels", 0, MAX_PIXELS, meta)
    top = _integer(values, "CroppedAreaTopPixels", 0, MAX_PIXELS, meta)
    if None in (full_w, full_h, crop_w, crop_h, left, top):
        return None
    if full_w != 2 * full_h:
        meta.warnings.append(warning("implausible", field="FullPanoWidthPixels", value=f"{full_w}×{full_h}"))
        return None
    if crop_w > full_w or left >= full_w or top + crop_h > full_h:
        meta.warnings.append(
            warning("implausible", field="CroppedArea", value=f"{crop_w}×{crop_h}+{left}+{top}")
        )
        return None
    scale_x, scale_y = width / crop_w, height / crop_h
    if abs(scale_x / scale_y - 1) > SCALE_TOLERANCE:
        meta.warnings.append(
            warning("crop_mismatch", crop_width=crop_w, crop_height=crop_h, width=width, height=height)
        )
        return None
    full_height = round(full_h * scale_y)
    try:
        crop = Crop(
            full_width=2 * full_height,
            full_height=full_height,
            left=round(left * scale_x) % (2 * full_height),
            top=max(0, min(round(top * scale_y), full_height - height)),
            width=width,
            height=height,
        )
    except ValueError:
        meta.warnings.append(
            warning("crop_mismatch", crop_width=crop_w, crop_height=crop_h, width=width, height=height)
        )
        return None
    return None if crop.is_full else crop
