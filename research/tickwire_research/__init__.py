"""Tickwire research at scale: a day-partitioned Parquet catalogue, and Ray for ingest,
simulation, training, backtests and sweeps (`python -m tickwire_research --help`)."""
import os

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
RESEARCH_DIR = os.path.dirname(PACKAGE_DIR)
PROJECT_DIR = os.path.dirname(RESEARCH_DIR)
SCHEMA_DIR = os.path.join(PACKAGE_DIR, "schemas")


class CatalogueError(Exception):
    """A problem a user can fix (a missing catalogue, day, input, binary; an unknown schema
    version): reported as one line, exit status 2."""
