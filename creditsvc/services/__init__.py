"""Use cases that touch storage. Each takes a SQLAlchemy session and commits its own unit of work."""
