"""Spreadsheets the way staff work: a hall's counters (and the audit log) as .xlsx or .csv out, and read
back with every row checked (``table`` reads and writes files, ``counters`` maps rows to the ``hall:<slug>``
draft's counters)."""
