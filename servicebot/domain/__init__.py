"""Domain objects and rules: tickets and their history, triage results, first-contact resolution."""
