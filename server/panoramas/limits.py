"""Sizes and qualities of panoramas that the command line shows in its help: a module that imports nothing,
so ``flask --app server panorama tile --help`` needs neither numpy nor Pillow (see server/cli)."""

MIN_WIDTH = 2048  # pixels: narrower panoramas look soft at any zoom
MAX_SIZE = (16384, 8192)  # default largest (width, height) accepted
DEFAULT_QUALITY = 85  # JPEG quality of tiles, fallback faces and preview
