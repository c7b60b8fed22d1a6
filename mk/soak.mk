# The kill -9 soak (issue 10): the fault harness of tests/faults/killpoints.py over many seeded trials. Each trial
# kills a run at a seeded statement, completes it with one more run and compares both databases in full with an
# uninterrupted run. `make test` runs five trials; CI runs this weekly and on demand (.github/workflows/soak.yml).
# A failing trial prints its seed: `make soak SOAK_SEED=<seed> SOAK_TRIALS=1` replays it.

SOAK_TRIALS ?= 50
SOAK_SEED ?= 1
# The whole soak's bound (pytest-timeout): a trial takes a few seconds; a hung one fails the target, not the runner.
SOAK_TIMEOUT_S ?= 1800

.PHONY: soak
soak: install ## Kill -9 at SOAK_TRIALS seeded statements (50, from SOAK_SEED), complete each run, compare in full
	@for value in 'SOAK_TRIALS=$(SOAK_TRIALS)' 'SOAK_SEED=$(SOAK_SEED)'; do \
	  case "$${value#*=}" in ''|*[!0-9]*) echo "$@: $${value%%=*} must be a whole number, got '$${value#*=}'" >&2; exit 2;; esac; \
	done
	SOAK_TRIALS=$(SOAK_TRIALS) SOAK_SEED=$(SOAK_SEED) $(VENV)/bin/pytest -m soak -p no:cacheprovider -s \
	  --timeout=$(SOAK_TIMEOUT_S) tests/faults/test_kill9.py
