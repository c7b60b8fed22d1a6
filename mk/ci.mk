# What the GitHub Actions workflows (.github/workflows) run beyond the other fragments' targets, so that
# CI and developers run the same commands. docs/github-actions.md describes the workflows.

# zizmor's online audits (is each pinned SHA really its action's, does it match the version comment, known
# advisories) need the GitHub API: CI sets ZIZMOR_ONLINE=1 and GH_TOKEN. Everywhere else it stays offline.
ZIZMOR_ONLINE ?=
# Writing the provider mirror under /opt needs root: sudo on a CI runner, nothing when already root.
SUDO ?= $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: workflow-lint
workflow-lint: install ## actionlint and zizmor on the workflows and dependabot.yml (make test runs both offline; ZIZMOR_ONLINE=1 adds online audits)
	$(VENV)/bin/actionlint
	$(VENV)/bin/zizmor $(if $(ZIZMOR_ONLINE),,--offline) --no-progress .

.PHONY: ci-terraform
ci-terraform: ## terraform fmt -check, init -backend=false and validate (CI's terraform job)
	terraform fmt -check -recursive -diff $(TF_DIR)
	terraform -chdir=$(TF_DIR) init -backend=false -input=false -lockfile=readonly
	terraform -chdir=$(TF_DIR) validate

# The Terraform tests in `make test` install the AWS provider from the offline mirror only and skip
# without it; a CI runner reaches the registry instead, so it copies the locked provider there first.
.PHONY: ci-tf-mirror
ci-tf-mirror: ## Put the locked AWS provider (from the registry) in the offline mirror the Terraform tests read
	@if [ -d "$(TF_PLUGIN_MIRROR)/registry.terraform.io/hashicorp/aws" ]; then \
	  echo "$@: $(TF_PLUGIN_MIRROR) already holds the AWS provider"; \
	else \
	  work=$$(mktemp -d) \
	  && cp $(TF_DIR)/versions.tf $(TF_DIR)/.terraform.lock.hcl "$$work"/ \
	  && terraform -chdir="$$work" init -backend=false -input=false -lockfile=readonly \
	  && $(SUDO) mkdir -p $(TF_PLUGIN_MIRROR) \
	  && $(SUDO) cp -R -L "$$work"/.terraform/providers/registry.terraform.io $(TF_PLUGIN_MIRROR)/ \
	  && rm -rf "$$work"; \
	fi

.PHONY: ci-cache-prune
ci-cache-prune: $(UV) ## Shrink uv's cache to what is worth saving between CI runs
	$(UV) cache prune --ci
