#!/usr/bin/env bash
# Fails at once, naming what to set, when the GitHub environment lacks the deploy settings; without
# them configure-aws-credentials would fail later with a message that does not say which setting.
#
# Reads  DEPLOY_ENV    the GitHub environment (dev or prod)
#        ROLE_ARN      the AWS_DEPLOY_ROLE_ARN variable: the role the deploy assumes through OIDC
#        REGION        the AWS_REGION variable: the region of the environment's resources
set -euo pipefail

status=0
where="the GitHub environment '${DEPLOY_ENV:-?}' (Settings > Environments > Environment variables)"

if [[ ! ${ROLE_ARN:-} =~ ^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$ ]]; then
  echo "::error title=Deploy settings::Set the variable AWS_DEPLOY_ROLE_ARN in $where to the deploy role's ARN: \`terraform output -raw deploy_role_arn\` (docs/github-actions.md, "What to set up in GitHub")."
  status=1
fi

if [[ ! ${REGION:-} =~ ^[a-z]{2}(-[a-z]+)+-[0-9]$ ]]; then
  echo "::error title=Deploy settings::Set the variable AWS_REGION in $where (or in the repository) to the environment's aws_region, for example eu-west-1."
  status=1
fi

exit "$status"
