"""Fixtures of the grading tests that start real servers."""

from __future__ import annotations

import pytest

from .dask_cluster import Cluster
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


@pytest.fixture(scope="session")
def dask_cluster():
    """A Dask scheduler and two one-thread workers on 127.0.0.1, stopped afterwards."""
    cluster = Cluster(workers=2)
    try:
        yield cluster
    finally:
        cluster.stop()
