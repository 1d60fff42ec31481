"""Rules without I/O: tickets and their history (escalation vs transfer included), contact facts (FCR),
the working-hours calendar, messages with user ids instead of markup, the errors people see, the clock."""
