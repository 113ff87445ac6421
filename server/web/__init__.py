"""The web layer: the public JSON API (``api/``), the citizen pages and published panorama files.
Imports the domain packages; no domain package imports it (docs/ARCHITECTURE.md)."""
