"""docs/DEPLOYMENT.md names only commands and settings that exist."""

from __future__ import annotations

import re
from pathlib import Path

from server import config, create_app

DOC = Path(__file__).resolve().parents[1] / "docs" / "DEPLOYMENT.md"


def test_every_command_named_exists(tmp_path):
    app = create_app({"TESTING": True}, instance_path=tmp_path)
    text = DOC.read_text(encoding="utf-8")
    commands = [" ".join(m.split()[:2]) for m in re.findall(r"flask --app server ([a-z][a-z -]*[a-z])", text)]
    assert len(commands) >= 4
    builtin = {"run", "shell", "routes"}  # Flask's own commands
    for words in {c for c in commands if c.split()[0] not in builtin}:
        group = app.cli.get_command(None, words.split()[0])
        assert group is not None, words
        if len(words.split()) > 1 and hasattr(group, "get_command"):
            assert group.get_command(None, words.split()[1]) is not None, words


def test_every_setting_named_exists():
    text = DOC.read_text(encoding="utf-8")
    known = {*config.DEFAULTS, "SECRET_KEY", "DATABASE_URL", "INSTANCE_PATH"}
    named = set(re.findall(r"VHALL_([A-Z_]+)", text))
    assert named and named <= known, named - known
