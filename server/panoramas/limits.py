"""Sizes and qualities of panoramas that the command line shows in its help: a module that imports nothing,
so ``flask --app server panorama tile --help`` needs neither numpy nor Pillow (see server/cli)."""

MIN_WIDTH = 2048  # pixels: narrower panoramas look soft at any zoom
MAX_SIZE = (16384, 8192)  # default largest (width, height) accepted
# The hard upper bound: no option or setting raises the accepted size past it. A 16384×8192 image decodes
# to 512 MiB (BGRX); a header claiming more (a decompression bomb) is refused before anything is decoded.
HARD_MAX_SIZE = (16384, 8192)
MAX_FILE_BYTES = 256 * 1024 * 1024  # the largest panorama file read; never more than this + 1 byte is read
DEFAULT_QUALITY = 85  # JPEG quality of tiles, fallback faces and preview
