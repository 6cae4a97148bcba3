"""Alembic migrations for the fanarchive database (shipped inside the wheel)."""
