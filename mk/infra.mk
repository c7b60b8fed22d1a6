# Terraform (infra/terraform) and its checks. Terraform reads the CLI config in the repo so that
# `terraform init` installs the AWS provider from the offline mirror instead of the registry.
TF_DIR := infra/terraform
TF_PLUGIN_MIRROR := /opt/tf-plugins
# Only where the mirror exists: elsewhere (GitHub Actions) terraform init downloads from the registry.
ifneq ($(wildcard $(TF_PLUGIN_MIRROR)/registry.terraform.io/hashicorp/aws),)
export TF_CLI_CONFIG_FILE := $(abspath $(TF_DIR)/offline.tfrc)
endif
TF_ENV ?= dev

# checkov pins versions that clash with the project's test tools, so it lives in its own venv.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov
TEST_PREREQS += $(CHECKOV_VENV)/.installed

$(CHECKOV_VENV)/.installed: $(UV) mk/infra.mk
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(CHECKOV_VENV)
	$(UV) pip install --quiet --python $(CHECKOV_VENV)/bin/python "checkov==$(CHECKOV_VERSION)"
	touch $@

.PHONY: checkov-venv
checkov-venv: $(CHECKOV_VENV)/.installed ## Create .venv-checkov with the pinned checkov

.PHONY: tf-fmt
tf-fmt: ## Format every Terraform file in place
	terraform fmt -recursive $(TF_DIR)

.PHONY: tf-check
tf-check: install $(CHECKOV_VENV)/.installed ## Terraform checks only: fmt, validate, terraform test, checkov, HCL and moto tests
	$(VENV)/bin/pytest tests/infra

.PHONY: checkov
checkov: $(CHECKOV_VENV)/.installed ## Static security analysis of infra/terraform with checkov
	$(CHECKOV) --quiet --compact --skip-download --framework terraform --directory $(TF_DIR)

.PHONY: tf-init
tf-init: ## terraform init against the S3 backend of TF_ENV (dev|prod); needs AWS credentials
	terraform -chdir=$(TF_DIR) init -reconfigure -backend-config=environments/$(TF_ENV).s3.tfbackend

.PHONY: tf-plan
tf-plan: ## terraform plan for TF_ENV with JOB_IMAGE_TAG and HELPER_IMAGE_TAG (commit SHAs)
	@test -n "$(JOB_IMAGE_TAG)" -a -n "$(HELPER_IMAGE_TAG)" || { echo "set JOB_IMAGE_TAG and HELPER_IMAGE_TAG to the pushed images' commit SHA, e.g. make tf-plan TF_ENV=dev JOB_IMAGE_TAG=\$$(git rev-parse HEAD) HELPER_IMAGE_TAG=\$$(git rev-parse HEAD)" >&2; exit 2; }
	terraform -chdir=$(TF_DIR) plan -var-file=environments/$(TF_ENV).tfvars \
	  -var job_image_tag=$(JOB_IMAGE_TAG) -var helper_image_tag=$(HELPER_IMAGE_TAG) -out=.terraform/$(TF_ENV).tfplan

.PHONY: tf-apply
tf-apply: ## Apply the plan saved by tf-plan for TF_ENV
	terraform -chdir=$(TF_DIR) apply .terraform/$(TF_ENV).tfplan
