"""Use cases every front end calls (Slack handlers, console, CLI): intake, ticket commands, queries and
where tickets are shown. Each public call is one transaction."""
