"""tomtat's service layer: the Flask app, the CLI, jobs. Knows nothing of torch."""

from .app import create_app

__all__ = ["create_app"]
