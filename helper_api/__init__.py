"""The helper API: password hashes and photo URLs by email, for the sync job (docs/helper-api.md)."""

from helper_api.app import create_app

__all__ = ["create_app"]
