"""The CPU panorama renderer: geometry where the conventions put it, no holes, textures, arguments."""

from __future__ import annotations

import io
import itertools
import math

import numpy as np
import pytest
import trimesh
from PIL import Image

from server.conventions import direction_to_yaw_pitch
from server.hallmodel.build import BuildLabels, build_scene
from server.hallmodel.layout import layout_path, load
from server.panoramas.render import flatten_scene, render_equirect

EYE = np.array([0.0, 1.6, 0.0])
RED, GREEN, BLUE, YELLOW = (220, 40, 40), (40, 170, 60), (40, 70, 220), (230, 200, 40)
MAGENTA, CYAN = (200, 50, 200), (40, 190, 200)


def _paint(mesh: trimesh.Trimesh, rgb, image: Image.Image | None = None, uv=None) -> trimesh.Trimesh:
    """*mesh* with a PBR material like the model builder's (baseColorFactor, optional texture)."""
    material = trimesh.visual.material.PBRMaterial(
        baseColorFactor=[*rgb, 255], baseColorTexture=image, metallicFactor=0.0
    )
    mesh.visual = trimesh.visual.TextureVisuals(uv=uv, material=material)
    return mesh


def _box(centre, size, rgb) -> trimesh.Trimesh:
    transform = trimesh.transformations.translation_matrix(centre)
    return _paint(trimesh.creation.box(extents=size, transform=transform), rgb)


def _quad(corners, rgb=(255, 255, 255), image: Image.Image | None = None) -> trimesh.Trimesh:
    """A quad over *corners* (bottom-left, bottom-right, top-right, top-left) with UVs (0,0)…(0,1)."""
    mesh = trimesh.Trimesh(vertices=np.array(corners, float), faces=[[0, 1, 2], [0, 2, 3]], process=False)
    uv = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], float) if image is not None else None
    return _paint(mesh, rgb, image, uv)


def _scene(*meshes: trimesh.Trimesh) -> trimesh.Scene:
    scene = trimesh.Scene()
    for i, mesh in enumerate(meshes):
        scene.add_geometry(mesh, node_name=f"part:{i}")
    return scene


def _via_glb(scene: trimesh.Scene) -> trimesh.Scene:
    """*scene* exported to GLB and loaded back, as a published model is."""
    return trimesh.load(io.BytesIO(scene.export(file_type="glb")), file_type="glb", force="scene")


def _pixel(point, heading: float, width: int, camera=EYE) -> tuple[int, int]:
    """Row and column of the panorama pixel that looks at model *point* from *camera*."""
    yaw, pitch = direction_to_yaw_pitch(np.asarray(point, float) - camera, heading)
    col = math.floor((yaw + 180) / 360 * width) % width
    row = min(width // 2 - 1, math.floor((90 - pitch) / 180 * (width // 2)))
    return row, col


def _nearest(rgb, palette) -> int:
    """Index of the colour in *palette* whose hue (normalised RGB) is nearest to *rgb*."""
    colour = np.asarray(rgb, float)
    colour /= max(colour.sum(), 1)
    shares = [np.asarray(c, float) / sum(c) for c in palette]
    return int(np.argmin([np.linalg.norm(colour - s) for s in shares]))


def test_shape_and_dtype():
    image = render_equirect(_scene(_box((3, 1.6, 0), (1, 1, 1), RED)), EYE, 0.0, width=128)
    assert image.shape == (64, 128, 3) and image.dtype == np.uint8


@pytest.mark.parametrize(
    ("heading", "red_yaw", "blue_yaw"), [(0.0, 90.0, 0.0), (90.0, 0.0, -90.0), (-45.0, 135.0, 45.0)]
)
def test_boxes_appear_where_the_conventions_put_them(heading, red_yaw, blue_yaw):
    east, north = (6.0, 1.6, 0.0), (0.0, 1.6, -6.0)
    scene = _scene(_box(east, (1.2, 1.2, 1.2), RED), _box(north, (1.2, 1.2, 1.2), BLUE))
    width = 256
    image = render_equirect(scene, EYE, heading, width=width)
    palette = [RED, BLUE]
    for point, yaw, colour in ((east, red_yaw, 0), (north, blue_yaw, 1)):
        row, col = _pixel(point, heading, width)
        assert direction_to_yaw_pitch(np.subtract(point, EYE), heading)[0] == pytest.approx(yaw)
        assert _nearest(image[row, col], palette) == colour, (point, image[row, col])
        assert image[row, col].max() - image[row, col].min() > 80  # a saturated surface, not background
    # Opposite each box there is nothing: the background is grey.
    row, col = _pixel((-6.0, 1.6, 0.0), heading, width)
    assert image[row, col].max() - image[row, col].min() < 20


def test_heading_turns_the_same_view():
    scene = _scene(_box((6, 1.6, 0), (1.2, 1.2, 1.2), RED), _box((0, 1.0, -6), (1.2, 2, 1.2), BLUE))
    north = render_equirect(scene, EYE, 0.0, width=256).astype(int)
    east = render_equirect(scene, EYE, 90.0, width=256).astype(int)
    # Column c at heading 90 looks at bearing 90 + yaw(c), which column c + 64 shows at heading 0.
    assert np.abs(np.roll(north, -64, axis=1) - east).max() <= 2


def test_floor_is_below_the_horizon_only():
    floor = _quad([(-20, 0, 20), (20, 0, 20), (20, 0, -20), (-20, 0, -20)], GREEN)
    width = 256
    image = render_equirect(_scene(floor), EYE, 30.0, width=width)
    height = width // 2
    pitch = 90 - (np.arange(height) + 0.5) / height * 180
    greenish = (image[..., 1].astype(int) - np.maximum(image[..., 0], image[..., 2])) > 40
    assert greenish[pitch < -6].all()  # the floor reaches 20 m: 4.6° below the horizon at the least
    assert not greenish[pitch > 0].any()


def _directions(heading: float, width: int) -> np.ndarray:
    """Model-space unit directions (width/2, width, 3) of every panorama pixel, by the stated formula."""
    height = width // 2
    bearing = np.radians(heading + (np.arange(width) + 0.5) / width * 360 - 180)[None, :]
    pitch = np.radians(90 - (np.arange(height) + 0.5) / height * 180)[:, None]
    return np.stack(
        np.broadcast_arrays(np.sin(bearing) * np.cos(pitch), np.sin(pitch), -np.cos(bearing) * np.cos(pitch)),
        axis=-1,
    )


def test_nothing_hit_shows_a_light_ceiling_above_and_a_floor_below():
    image = render_equirect(trimesh.Scene(), EYE, 0.0, width=128).astype(int)
    top, bottom = image[:32].reshape(-1, 3), image[32:].reshape(-1, 3)
    assert (top == top[0]).all() and (bottom == bottom[0]).all()
    assert top[0].min() > 200 and top[0].sum() > bottom[0].sum() > 400


def test_a_room_around_the_camera_has_no_holes_or_streaks():
    # Twelve big triangles, most crossing behind the camera in some cube face.
    lo, hi = np.array([-4.0, 0.0, -5.0]), np.array([4.0, 4.0, 5.0])
    (x0, y0, z0), (x1, y1, z1) = lo, hi
    walls = [  # in the order (axis, side): −x, +x, −y, +y, −z, +z
        ([(x0, y0, z1), (x0, y0, z0), (x0, y1, z0), (x0, y1, z1)], MAGENTA),
        ([(x1, y0, z0), (x1, y0, z1), (x1, y1, z1), (x1, y1, z0)], CYAN),
        ([(x0, y0, z1), (x1, y0, z1), (x1, y0, z0), (x0, y0, z0)], RED),
        ([(x0, y1, z0), (x1, y1, z0), (x1, y1, z1), (x0, y1, z1)], GREEN),
        ([(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0)], BLUE),
        ([(x1, y0, z1), (x0, y0, z1), (x0, y1, z1), (x1, y1, z1)], YELLOW),
    ]
    camera = np.array([1.0, 1.6, -2.0])
    width, heading = 256, 20.0
    image = render_equirect(_scene(*(_quad(c, rgb) for c, rgb in walls)), camera, heading, width=width)
    # Nothing shows the background (a light grey ceiling or floor) through the room.
    for background in ((240, 240, 237), (199, 196, 189)):
        assert (np.abs(image.astype(int) - background).sum(axis=2) > 60).all()
    # The wall each pixel's ray leaves the room through, worked out directly, is the wall it shows.
    d = _directions(heading, width)
    with np.errstate(divide="ignore"):
        exit_t = np.where(d > 0, (hi - camera) / d, (lo - camera) / d)
    axis = np.argmin(np.where(d != 0, exit_t, np.inf), axis=2)
    expected = axis * 2 + (np.take_along_axis(d, axis[..., None], axis=2)[..., 0] > 0)
    palette = [rgb for _, rgb in walls]
    shown = np.array([_nearest(p, palette) for p in image.reshape(-1, 3)]).reshape(expected.shape)
    padded = np.pad(expected, 1, mode="edge")
    seam = np.zeros_like(expected, dtype=bool)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            seam |= (
                padded[1 + dr : 1 + dr + expected.shape[0], 1 + dc : 1 + dc + expected.shape[1]] != expected
            )
    assert (shown == expected)[~seam].all()
    assert seam.mean() < 0.1


def _quadrants() -> Image.Image:
    """64 × 64: red top-left, green top-right, blue bottom-left, yellow bottom-right."""
    image = Image.new("RGB", (64, 64))
    for (x, y), rgb in {(0, 0): RED, (32, 0): GREEN, (0, 32): BLUE, (32, 32): YELLOW}.items():
        image.paste(rgb, (x, y, x + 32, y + 32))
    return image


def test_textured_quad_keeps_its_orientation_through_glb():
    # A 2 m sign 3 m north, facing the camera: the texture's top-left is at the sign's top-left.
    sign = _quad([(-1, 0.6, -3), (1, 0.6, -3), (1, 2.6, -3), (-1, 2.6, -3)], image=_quadrants())
    scene = _via_glb(_scene(sign))
    assert any(
        getattr(g.visual.material, "baseColorTexture", None) is not None for g in scene.geometry.values()
    )
    width = 512
    image = render_equirect(scene, EYE, 0.0, width=width)
    palette = [RED, GREEN, BLUE, YELLOW]
    for point, expected in (
        ((-0.5, 2.1, -3), 0),
        ((0.5, 2.1, -3), 1),
        ((-0.5, 1.1, -3), 2),
        ((0.5, 1.1, -3), 3),
    ):
        row, col = _pixel(point, 0.0, width)
        assert _nearest(image[row, col], palette) == expected, (point, image[row, col])


def test_texture_is_perspective_correct_on_a_receding_floor():
    # Four bands along the floor from 2 m to 10 m north; their centres at 3, 5, 7, 9 m keep their colours.
    stripes = Image.new("RGB", (16, 64))
    for band in range(4):
        stripes.paste(RED if band % 2 == 0 else BLUE, (0, band * 16, 16, band * 16 + 16))
    floor = _quad([(-2, 0, -2), (2, 0, -2), (2, 0, -10), (-2, 0, -10)], image=stripes)
    width = 1024
    image = render_equirect(_scene(floor), EYE, 0.0, width=width)
    # v runs from the near edge (0) to the far edge (1); the image's bottom row is v = 0.
    for z, expected in ((-3, 1), (-5, 0), (-7, 1), (-9, 0)):
        row, col = _pixel((0, 0, z), 0.0, width)
        assert _nearest(image[row, col], [RED, BLUE]) == expected, (z, image[row, col])


def test_progress_is_reported_up_to_one():
    seen: list[float] = []
    render_equirect(_scene(_box((3, 1.6, 0), (1, 1, 1), RED)), EYE, 0.0, width=128, progress=seen.append)
    assert len(seen) >= 2 and seen[-1] == 1.0
    assert all(0 < a <= b <= 1 for a, b in itertools.pairwise(seen))


def test_a_flattened_model_renders_like_its_scene():
    scene = _scene(_box((3, 1.6, 1), (1, 2, 1), RED), _box((-2, 0.5, -4), (1, 1, 1), BLUE))
    direct = render_equirect(scene, EYE, 10.0, width=128)
    assert np.array_equal(render_equirect(flatten_scene(scene), EYE, 10.0, width=128), direct)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"width": 513}, "width"),
        ({"width": 62}, "width"),
        ({"width": 256.0}, "width"),
        ({"width": True}, "width"),
        ({"position": (0.0, float("nan"), 0.0)}, "position"),
        ({"position": (0.0, 1.6)}, "position"),
        ({"position": (0.0, float("inf"), 0.0)}, "position"),
        ({"position": "abc"}, "position"),
        ({"heading": float("nan")}, "heading"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, name):
    args = {"position": (0.0, 1.6, 0.0), "heading": 0.0, "width": 128, **kwargs}
    scene = _scene(_box((3, 1.6, 0), (1, 1, 1), RED))
    with pytest.raises(ValueError, match=name):
        render_equirect(scene, args["position"], args["heading"], width=args["width"])


def test_demo_hall_shows_the_b03_sign_where_its_hotspot_goes():
    scene = _via_glb(
        build_scene(load(layout_path("guigang")), BuildLabels(counter_text={"B03": "市场监督管理局"}))
    )
    camera = np.array([-23.0, 1.6, -8.5])
    width = 1024
    image = render_equirect(scene, camera, 0.0, width=width)
    sign = scene.graph["counter:B03/sign"][0][:3, 3]
    row, col = _pixel(sign, 0.0, width, camera)
    window = image[row - 1 : row + 2, col - 1 : col + 2].reshape(-1, 3).astype(int)
    # The sign is navy (the default zone colour, darkened) with white text.
    assert (window[:, 2] - window[:, 0] > 25).sum() >= 5, window
    # Below it the B03 desk, light and neutral, on the floor; far below, the floor.
    desk = scene.graph["counter:B03"][0][:3, 3] + [0, 0.6, 0]
    pixel = image[_pixel(desk, 0.0, width, camera)].astype(int)
    assert pixel.min() > 150 and pixel.max() - pixel.min() < 30
