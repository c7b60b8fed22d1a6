"""The helper API: password hashes and photo URLs by email, for the sync job (see docs/helper.md)."""

from helper_api.app import create_app

__all__ = ["create_app"]
