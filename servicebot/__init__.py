"""ServiceBot's core: triage, tickets and (soon) the desk's measures. Knows nothing of Slack.

Rooms, innermost first (import-linter holds each to its layer; see pyproject.toml):
`domain` rules without I/O · `storage` the database · `triage` what a query is about · `services` use
cases, one transaction each · `chat` and `runtime` the conversation and the background work ·
`console`, `demo`, `cli` the front ends of the core itself. `config` and `bootstrap` wire them.
"""
