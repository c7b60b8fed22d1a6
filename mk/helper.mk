# The helper API (helper_api/): run it locally, migrate its schema, load credentials, test it.
# Settings come from the environment or .env (docs/helper-api.md). Make variables here must not start
# with HELPER_: make exports command-line variables, and the helper refuses unknown HELPER_* names.

LOCAL_HELPER_BIND ?= 127.0.0.1:5000
# No default: an import writes into whatever HELPER_DATABASE_URL points at, so it must name its file.
# sample/credentials.csv (demo-only passwords) is loaded by `make demo` and the local stack, never here.
CREDENTIALS_CSV ?=
DEMO_CREDENTIALS := sample/credentials.csv
HELPER_REQUIRED := HELPER_DATABASE_URL HELPER_API_TOKENS

# Fails with one line per required setting found neither in the environment nor in .env.
define helper_require_settings
	@missing=0; for name in $(HELPER_REQUIRED); do \
	  if [ -z "$${!name:-}" ] && ! grep -qsE "^(export +)?$$name=" .env; then \
	    echo "$@: $$name is not set: export it or add it to .env (docs/helper-api.md)" >&2; missing=1; \
	  fi; \
	done; [ "$$missing" = 0 ]
endef

.PHONY: helper
helper: install ## Run the helper API under gunicorn on 127.0.0.1:5000 (needs HELPER_DATABASE_URL, HELPER_API_TOKENS); it says when it is ready
	$(helper_require_settings)
	HELPER_BIND=$(LOCAL_HELPER_BIND) $(VENV)/bin/gunicorn -c helper_api/gunicorn.conf.py helper_api.wsgi:app

.PHONY: helper-migrate
helper-migrate: install ## Create or update the helper's schema in HELPER_DATABASE_URL
	$(PY) -m helper_api migrate

.PHONY: helper-import
helper-import: install ## Load credentials into HELPER_DATABASE_URL from CREDENTIALS_CSV=file.csv (required)
	@if [ -z "$(strip $(CREDENTIALS_CSV))" ]; then \
	  echo "$@: name the file to load: make helper-import CREDENTIALS_CSV=path/to/credentials.csv" >&2; exit 2; \
	fi
	@if [ -f "$(CREDENTIALS_CSV)" ] && [ "$$(realpath "$(CREDENTIALS_CSV)")" = "$$(realpath $(DEMO_CREDENTIALS))" ]; then \
	  echo "$@: $(DEMO_CREDENTIALS) holds the demo's throwaway passwords and is loaded only by make demo" \
	    "and make run-local: name the real file" >&2; exit 2; \
	fi
	$(PY) -m helper_api import-credentials "$(CREDENTIALS_CSV)"

.PHONY: helper-test
helper-test: install ## Only the helper API's tests (make test runs them too)
	$(VENV)/bin/pytest -m "not bench" tests/helper_api
