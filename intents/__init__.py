"""The intent catalogue: YAML files a desk lead edits (one per desk) and the loader that validates them."""

from intents.loader import CATALOGUE_DIR, load_catalogue

__all__ = ["CATALOGUE_DIR", "load_catalogue"]
