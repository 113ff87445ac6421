"""The catalogue: service items, counters and their opening hours, search, and the plain queries that
every interface shares. Reads the database; knows nothing of the web or the hall model (docs/ARCHITECTURE.md)."""
