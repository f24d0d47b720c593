from alembic import context
from sqlalchemy import text

from creditsvc.db import make_engine
from creditsvc.db.models import Base

config = context.config
target_metadata = Base.metadata
MIGRATION_LOCK = 0x63726564  # "cred": the advisory lock key of creditsvc's migrations


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # Replicas that start together each migrate first (`creditsvc serve`): one at a time, so
                # the later ones find the schema at head instead of creating its types a second time.
                # The lock is the session's: it outlasts the commit and ends with the connection.
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
                connection.commit()
            # One transaction for the whole upgrade on SQLite too (alembic's default there is one per
            # revision): BEGIN IMMEDIATE then takes the write lock before the current revision is read,
            # and a replica that starts together waits for the schema at head. With two revisions, one
            # of four replicas read 0001 while another was creating 0002's table, and crashed.
            context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                              transactional_ddl=True)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        # Closes the connection, and with it the lock, when a migration fails too: a failed upgrade
        # (a revision this release does not know) left the lock held, and every later upgrade waited.
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
