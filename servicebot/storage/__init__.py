"""Storage: the engine/session factory, tables, migrations and small repository functions."""
