"""CLI command modules; each exposes ``register(subparsers)`` and sets ``func`` on its parsers."""
