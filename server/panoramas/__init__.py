"""720° panoramas: ingest, multi-resolution cube tiles, demo rendering from the hall model, hotspots."""
