"""The command-line layer: ``flask --app server demo|model|panorama|backup|user|kiosk|storage …``. Like the web layer it calls into
the domain packages and is imported by none of them (docs/ARCHITECTURE.md).

A command's module is imported when that command is asked for, not when the app starts: the groups below
know their commands by name only (``LazyGroup``), and the modules' decorators add them on import. So
``flask --app server panorama tile --help`` loads neither the database layer nor the geometry libraries,
and batch jobs over many files are not dominated by start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import click


class LazyGroup(click.Group):
    """A command group whose commands are defined in modules of this package imported on first use.

    *modules* maps each command name to the module (relative to ``server.cli``) that defines it with
    ``@group.command(name)``."""

    def __init__(self, name: str, *, modules: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.modules = dict(modules)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, loaded or not."""
        return sorted({*self.commands, *self.modules})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command *cmd_name*, importing the module that defines it the first time."""
        if cmd_name not in self.commands and cmd_name in self.modules:
            importlib.import_module(f"{__name__}.{self.modules[cmd_name]}")
        return super().get_command(ctx, cmd_name)


model_cli = LazyGroup(
    "model",
    modules={"build": "model", "check": "model", "publish": "model"},
    help="Hall models: build, check, publish. / 大厅三维模型：生成、检查、发布。",
)
panorama_cli = LazyGroup(
    "panorama",
    modules={"tile": "panorama_tile", "add": "panorama", "render-demo": "panorama", "register": "panorama"},
    help="Panoramas: validate and tile. / 全景图：校验与切片。",
)
backup_cli = LazyGroup(
    "backup",
    modules={"create": "backup", "restore": "backup"},
    help="Backups: create and restore. / 备份：创建与恢复。",
)
user_cli = LazyGroup(
    "user",
    modules={name: "user" for name in ("create", "list", "disable", "enable", "reset-password")},
    help="Staff accounts: create, list, disable, enable, reset a password. / 工作人员账号：创建、列出、停用、启用、重置密码。",
)
kiosk_cli = LazyGroup(
    "kiosk",
    modules={name: "kiosk" for name in ("add", "list", "remove")},
    help="Kiosks (touch screens in a hall): add, list, remove. / 自助终端：登记、列出、删除。",
)
storage_cli = LazyGroup(
    "storage",
    modules={name: "storage" for name in ("report", "clean")},
    help="Published files on disk: what uses the space, and freeing it. / 已发布文件的存储：占用报告与清理。",
)
