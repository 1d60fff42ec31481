"""Front-end-neutral conversation: commands parsed once, mapped once to services, replies as models.

Replies carry user ids and plain structure; each front end (Slack's `handlers/`, `servicebot.console`)
renders them its own way.
"""
