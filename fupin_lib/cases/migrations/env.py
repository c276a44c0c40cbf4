"""Alembic environment of the case store.

`fupin_lib.cases.init_db` passes an open connection in
``config.attributes["connection"]``; the migrations themselves never read a
URL from a file.
"""

from alembic import context

from fupin_lib.cases._migrate import target_metadata

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=target_metadata(),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
