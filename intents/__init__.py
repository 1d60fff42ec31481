"""The intent catalogue: YAML files a desk lead edits (one per desk), their schema, and the loader that
validates them. Depends on nothing of ours, so the core, the Slack adapters and tools can all read it."""

from intents.catalogue import OUT_OF_SCOPE, Catalogue, CatalogueError, Intent, SelfHelp, lint
from intents.loader import CATALOGUE_DIR, load_catalogue

__all__ = [
    "CATALOGUE_DIR",
    "OUT_OF_SCOPE",
    "Catalogue",
    "CatalogueError",
    "Intent",
    "SelfHelp",
    "lint",
    "load_catalogue",
]
