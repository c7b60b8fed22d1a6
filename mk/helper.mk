# The helper API (helper_api/): run it locally, migrate its schema, load credentials, test it.
# Settings come from the environment or .env (see the README section "The helper API"). Make variables here must not start
# with HELPER_: make exports command-line variables, and the helper refuses unknown HELPER_* names.

LOCAL_HELPER_BIND ?= 127.0.0.1:5000
CREDENTIALS_CSV ?= sample/credentials.csv
HELPER_REQUIRED := HELPER_DATABASE_URL HELPER_API_TOKENS

# Fails with one line per required setting found neither in the environment nor in .env.
define helper_require_settings
	@missing=0; for name in $(HELPER_REQUIRED); do \
	  if [ -z "$${!name:-}" ] && ! grep -qsE "^(export +)?$$name=" .env; then \
	    echo "$@: $$name is not set: export it or add it to .env (see the README section "The helper API")" >&2; missing=1; \
	  fi; \
	done; [ "$$missing" = 0 ]
endef

.PHONY: helper
helper: install ## Run the helper API under gunicorn on 127.0.0.1:5000 (needs HELPER_DATABASE_URL, HELPER_API_TOKENS)
	$(helper_require_settings)
	HELPER_BIND=$(LOCAL_HELPER_BIND) $(VENV)/bin/gunicorn -c helper_api/gunicorn.conf.py helper_api.wsgi:app

.PHONY: helper-migrate
helper-migrate: install ## Create or update the helper's schema in HELPER_DATABASE_URL
	$(PY) -m helper_api migrate

.PHONY: helper-import
helper-import: install ## Load credentials into the helper (CREDENTIALS_CSV=file.csv, default the sample)
	$(PY) -m helper_api import-credentials $(CREDENTIALS_CSV)

.PHONY: helper-test
helper-test: install ## Only the helper API's tests (make test runs them too)
	$(VENV)/bin/pytest -m "not bench" tests/helper_api
