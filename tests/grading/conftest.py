"""Fixtures of the grading tests that start real servers."""

from __future__ import annotations

import pytest

from .postgres import Server


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for this test process (Unix socket only, removed afterwards)."""
    server = Server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres) -> str:
    """A fresh, empty PostgreSQL database: its SQLAlchemy URL."""
    return postgres.new_database()
