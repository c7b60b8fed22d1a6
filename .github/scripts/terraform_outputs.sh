#!/usr/bin/env bash
# Writes the named Terraform outputs of an initialised configuration to $GITHUB_OUTPUT as NAME=value,
# and fails naming the first output the state does not have (or whose value spans lines).
#
# Usage  terraform_outputs.sh NAME...
# Reads  TF_DIR         the configuration directory (default infra/terraform)
#        DEPLOY_ENV     the environment, for the error message
#        GITHUB_OUTPUT  the step output file
set -euo pipefail

dir=${TF_DIR:-infra/terraform}
out=${GITHUB_OUTPUT:?GITHUB_OUTPUT must name the step output file}
[[ $# -gt 0 ]] || {
  echo "::error::terraform_outputs.sh needs the names of the outputs to read"
  exit 2
}

errors=$(mktemp)
trap 'rm -f "$errors"' EXIT

for name in "$@"; do
  if ! value=$(terraform -chdir="$dir" output -no-color -raw "$name" 2>"$errors"); then
    cat "$errors" >&2
    echo "::error title=Terraform output missing::Could not read the output $name from the state of ${DEPLOY_ENV:-this environment} (terraform's message is above): it must be applied once with a configuration that defines it (the first deploy is by hand: docs/deploy-aws.md, "First deploy")."
    exit 1
  fi
  if [[ $value == *$'\n'* ]]; then
    echo "::error title=Terraform output unusable::The output $name spans several lines; a step output needs one line."
    exit 1
  fi
  echo "$name=$value" >>"$out"
done
