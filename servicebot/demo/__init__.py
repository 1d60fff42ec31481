"""Demo history: a seeded, realistic year of contacts built through the ticket domain and stored in bulk.

`profiles` says what the contacts look like, `generator` builds each one's history through the Ticket
aggregate on the domain's working-hours calendar, `writer` stores them in bulk, `report` summarises them,
and `load` runs the whole thing for `servicebot demo load`.
"""

from servicebot.demo.load import load_demo

__all__ = ["load_demo"]
