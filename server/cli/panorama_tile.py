"""``flask --app server panorama …``: panorama files without the database (the group is defined in server/cli).

``panorama tile INPUT OUT_FOLDER`` validates one equirectangular file and writes its Pannellum multires tile
set to the new folder OUT_FOLDER. Exit status: 0 done, 1 the folder exists, 2 the input is not a usable
panorama or cannot be read, or the folder cannot be written (a PanoramaError).
"""

from __future__ import annotations

from pathlib import Path

import click

from ..panoramas.limits import DEFAULT_QUALITY, HARD_MAX_SIZE, MAX_SIZE, MIN_WIDTH
from . import panorama_cli
from .support import cli_error


@panorama_cli.command("tile")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out_folder", type=click.Path(path_type=Path))
@click.option(
    "--quality",
    type=click.IntRange(1, 100),
    default=DEFAULT_QUALITY,
    show_default=True,
    help="JPEG quality of the tiles. / 瓦片的 JPEG 质量。",
)
@click.option(
    "--max-width",
    type=click.IntRange(MIN_WIDTH, HARD_MAX_SIZE[0]),
    default=MAX_SIZE[0],
    show_default=True,
    help="Widest panorama accepted (height: half). / 允许的最大宽度（高度为其一半）。",
)
def tile_command(source: Path, out_folder: Path, quality: int, max_width: int) -> None:
    """Tile one equirectangular SOURCE file into the new folder OUT_FOLDER. / 将一张全景图切片到新文件夹。"""
    # Imported here, not above: numpy, Pillow and OpenCV cost a second that --help should not pay.
    from ..panoramas.ingest import PanoramaError, cannot_write, load_equirect, read_file
    from ..panoramas.tiles import tile_panorama

    if out_folder.exists():
        raise click.ClickException(f"输出文件夹已存在 / output folder already exists: {out_folder}")
    try:
        out_folder.parent.mkdir(parents=True, exist_ok=True)  # an unwritable place fails before decoding
    except OSError as exc:
        raise cli_error(cannot_write(out_folder, exc)) from None
    try:
        image = load_equirect(read_file(source), max_size=(max_width, max_width // 2))
    except PanoramaError as exc:
        raise cli_error(exc, subject=str(source)) from None
    height, width = image.shape[:2]
    click.echo(f"{source.name}: {width}×{height}")
    with click.progressbar(length=1, label="切片 / tiling") as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        try:
            config = tile_panorama(image, out_folder, quality=quality, progress=progress)
        except FileExistsError:
            raise click.ClickException(
                f"输出文件夹已存在 / output folder already exists: {out_folder}"
            ) from None
        except OSError as exc:
            raise cli_error(cannot_write(out_folder, exc)) from None
    click.echo(
        f"{out_folder}: cubeResolution {config['cubeResolution']}, maxLevel {config['maxLevel']}, "
        f"tileResolution {config['tileResolution']}"
    )
