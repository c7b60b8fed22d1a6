# The two images and the local stack under docker compose (docs/local-stack.md; docker/compose.yaml).

DOCKER ?= docker
# Compose project name: containers, network and volumes are all prefixed with it.
LOCAL_PROJECT ?= hestia-local
# Host ports, published on 127.0.0.1 only.
LOCAL_DB1_PORT ?= 15431
LOCAL_DB2_PORT ?= 15432
LOCAL_HELPER_DB_PORT ?= 15433
LOCAL_HELPER_PORT ?= 15000
# Seconds `up --wait` gives the stack to become healthy.
LOCAL_WAIT_TIMEOUT ?= 180
# Seconds between two syncs in `make run-local-watch`.
WATCH_INTERVAL ?= 30

DOCKER_COMPOSE = $(DOCKER) compose --project-name $(LOCAL_PROJECT) --file docker/compose.yaml
# The image labels. A remote URL may carry credentials (https://user:token@host/...): they are cut off.
IMAGE_VERSION = $(or $(shell sed -n '/^\[project\]/,/^\[/ s/^version = "\(.*\)"/\1/p' pyproject.toml),dev)
IMAGE_REVISION = $(or $(shell git rev-parse --verify --quiet HEAD 2>/dev/null),unknown)
IMAGE_SOURCE = $(or $(shell git remote get-url origin 2>/dev/null \
	| sed -E 's#^git@([^:]+):#https://\1/#; s#://[^/@]*@#://#; s#\.git$$##'),unknown)

# One sync through the job's compose service: text logs end with the job's own per-flow table and status line.
# Exits with the job's status.
LOCAL_SYNC = $(DOCKER_COMPOSE) run --rm --no-TTY --env JOB_LOG_FORMAT=text job run

LOCAL_TARGETS := images run-local run-local-watch local-logs down
$(LOCAL_TARGETS): export HESTIA_DB1_PORT = $(LOCAL_DB1_PORT)
$(LOCAL_TARGETS): export HESTIA_DB2_PORT = $(LOCAL_DB2_PORT)
$(LOCAL_TARGETS): export HESTIA_HELPER_DB_PORT = $(LOCAL_HELPER_DB_PORT)
$(LOCAL_TARGETS): export HESTIA_HELPER_PORT = $(LOCAL_HELPER_PORT)
$(LOCAL_TARGETS): export HESTIA_VERSION = $(IMAGE_VERSION)
$(LOCAL_TARGETS): export HESTIA_REVISION = $(IMAGE_REVISION)
$(LOCAL_TARGETS): export HESTIA_SOURCE_URL = $(IMAGE_SOURCE)

# Without a daemon every docker command fails with pages of noise: say it once, plainly.
define require-docker
	@command -v $(DOCKER) >/dev/null 2>&1 || { echo "$@: '$(DOCKER)' is not installed:" \
	  "install Docker with the compose plugin to use this target" >&2; exit 1; }
	@$(DOCKER) info --format '{{.ServerVersion}}' >/dev/null 2>&1 || { echo "$@: no Docker daemon answers" \
	  "('$(DOCKER) info' failed): start Docker, or point DOCKER_HOST at a running daemon" >&2; exit 1; }
	@$(DOCKER) compose version >/dev/null 2>&1 || { echo "$@: 'docker compose' is missing:" \
	  "install the Docker Compose v2 plugin" >&2; exit 1; }
endef

define local-up
	$(require-docker)
	$(DOCKER_COMPOSE) --profile job build
	@$(DOCKER_COMPOSE) up --detach --wait --wait-timeout $(LOCAL_WAIT_TIMEOUT) \
		|| { echo "$@: the stack did not become healthy in $(LOCAL_WAIT_TIMEOUT) s: see 'make local-logs'" >&2; exit 1; }
endef

.PHONY: images
images: ## Build the job and helper images (hestia-sync/job:local, hestia-sync/helper:local)
	$(require-docker)
	$(DOCKER_COMPOSE) --profile job build

.PHONY: run-local
run-local: ## Build, start the local stack (db1, db2, helper), wait for health, run one sync (its table of counts ends the output)
	$(local-up)
	@status=0; $(LOCAL_SYNC) || status=$$?; \
	case $$status in \
	  0) ;; \
	  3) echo "run-local: some rows were rejected or deferred (the sample data has such rows on purpose)";; \
	  *) echo "run-local: the sync exited $$status (see above)" >&2; exit $$status;; \
	esac

.PHONY: run-local-watch
run-local-watch: ## As run-local, then sync again every WATCH_INTERVAL seconds (default 30) until Ctrl-C
	@case '$(WATCH_INTERVAL)' in ''|*[!0-9]*|0) \
	  echo "$@: WATCH_INTERVAL must be a whole number of seconds above 0, got '$(WATCH_INTERVAL)'" >&2; exit 2;; \
	esac
	$(local-up)
	@while true; do \
	  status=0; $(LOCAL_SYNC) || status=$$?; \
	  case $$status in \
	    2) echo "$@: configuration error: fix it and start again" >&2; exit 2;; \
	    5|130) exit $$status;; \
	  esac; \
	  echo "Next sync in $(WATCH_INTERVAL) s (Ctrl-C stops watching; the stack keeps running until 'make down')"; \
	  sleep $(WATCH_INTERVAL); \
	done

.PHONY: local-logs
local-logs: ## Follow the local stack's logs
	$(require-docker)
	$(DOCKER_COMPOSE) logs --follow

.PHONY: down
down: ## Remove the local stack: containers, network and volumes (all local data)
	$(require-docker)
	$(DOCKER_COMPOSE) --profile job down --volumes --remove-orphans

.PHONY: image-labels
image-labels: ## Print the OCI label values the images are built with (source, revision, version)
	@echo "source=$(IMAGE_SOURCE)"
	@echo "revision=$(IMAGE_REVISION)"
	@echo "version=$(IMAGE_VERSION)"

.PHONY: docker-lint
docker-lint: install ## hadolint on both Dockerfiles (rules and exceptions in docker/.hadolint.yaml)
	$(VENV)/bin/hadolint --config docker/.hadolint.yaml docker/job.Dockerfile docker/helper.Dockerfile
