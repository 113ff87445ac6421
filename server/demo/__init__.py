"""The demo halls: content files (``data/``), their schema and the loader that writes them in one transaction."""
