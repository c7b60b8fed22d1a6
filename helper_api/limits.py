"""Fixed limits of the API, published in the OpenAPI document and docs/helper-api.md."""

MAX_BATCH = 500
"""Emails per POST /lookup-batch."""
MAX_BODY_BYTES = 64 * 1024
"""Largest request body accepted; anything bigger is refused with 413 before it is parsed."""
