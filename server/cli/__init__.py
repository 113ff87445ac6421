"""The command-line layer: ``flask --app server demo|model|panorama …``. Like the web layer it calls into
the domain packages and is imported by none of them (docs/ARCHITECTURE.md)."""
