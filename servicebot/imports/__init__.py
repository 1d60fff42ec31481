"""Data the bot does not see in chat (telephony, outages, historical tickets, KPI values measured
elsewhere), read from files: each kind's columns and row rules, with no database in sight. The
`services.imports` service writes what they accept in one transaction."""
