"""Alembic environment: runs migrations on the app's engine (batch mode for SQLite)."""

from __future__ import annotations

from alembic import context

import ysdw_live.models  # noqa: F401  (imports every model so metadata is complete)
from ysdw_live.db import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
