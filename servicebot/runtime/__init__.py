"""Background runtime: the durable inbox, the worker that drains it, and the process that supervises it.

Later: the outbox relay (messages sent once, never lost), the scheduler (digests, breach checks) and the
leader lock that keeps scheduled work on one replica.
"""
