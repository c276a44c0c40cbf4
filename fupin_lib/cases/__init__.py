"""The case store: SQLAlchemy models, migrations, repository functions, access
rules and the audit log."""

from ._base import Base, get_engine, get_sessionmaker

__all__ = ["Base", "get_engine", "get_sessionmaker"]
