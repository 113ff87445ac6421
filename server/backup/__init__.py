"""Backups of an instance: a consistent dump of the database plus the published files it points at
(``database``: the portable dump; ``archive``: the tar archive, its manifest, create and restore).
See docs/DEPLOYMENT.md for the procedure and docs/ARCHITECTURE.md for the layer (domain; core only)."""
