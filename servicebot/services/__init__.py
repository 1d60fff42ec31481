"""Services the front ends (Slack handlers, console, CLI) call; each public call is one transaction."""
