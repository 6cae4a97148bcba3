"""Keeping sources in sync: the registry of sources, per-source locks, runs and schedules."""
