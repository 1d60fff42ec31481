"""Demo history: a seeded, realistic year of contacts built through the ticket domain and stored in bulk."""

from servicebot.demo.generator import load_demo

__all__ = ["load_demo"]
