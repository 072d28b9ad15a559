"""Alembic migrations, run from code so ``python app.py`` and the CLI share one path."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from flask import Flask

HERE = Path(__file__).resolve().parent


def alembic_config(app: Flask) -> Config:
    """Return an Alembic config pointing at this package and the app's database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["engine"] = app.extensions["ysdw_engine"]
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    """Apply pending migrations up to ``revision``."""
    command.upgrade(alembic_config(app), revision)


def downgrade(app: Flask, revision: str) -> None:
    """Undo migrations down to ``revision``."""
    command.downgrade(alembic_config(app), revision)
