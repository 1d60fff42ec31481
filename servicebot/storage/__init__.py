"""Storage: the engine and unit of work (`db`), tables, types, migrations, and one repository module per
aggregate (tickets, sources, inbox, training)."""
