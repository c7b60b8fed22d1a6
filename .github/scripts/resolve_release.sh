#!/usr/bin/env bash
# Decides what the deploy workflow releases: the environment (dev or prod) and the full commit SHA.
# Only commits already on the deploy branch (main) are accepted, so a rollback is always an earlier
# commit of main and never an unreviewed branch. Needs a checkout with the whole history (fetch-depth: 0).
#
# Reads   EVENT_NAME         push | workflow_dispatch
#         INPUT_ENVIRONMENT  dev | prod (workflow_dispatch only; a push always deploys to dev)
#         INPUT_SHA          optional commit (7 to 40 hex digits) to deploy instead of GITHUB_SHA
#         GITHUB_SHA         the commit the workflow was started for
#         DEPLOY_BRANCH      the branch whose commits may be deployed (default: main)
# Writes  environment=... and sha=... to $GITHUB_OUTPUT, a short note to $GITHUB_STEP_SUMMARY if set.
set -euo pipefail

# User input is never echoed back: it could carry workflow commands (::set-output and the like).
fail() {
  echo "::error title=Deploy refused::$1"
  exit 1
}

branch=${DEPLOY_BRANCH:-main}

case "${EVENT_NAME:-}" in
  push)
    environment=dev
    requested=${GITHUB_SHA:-}
    ;;
  workflow_dispatch)
    environment=${INPUT_ENVIRONMENT:-}
    requested=${INPUT_SHA:-}
    requested=${requested:-${GITHUB_SHA:-}}
    ;;
  *)
    fail "the deploy workflow runs on push and workflow_dispatch only"
    ;;
esac

case "$environment" in
  dev | prod) ;;
  *) fail "the environment input must be dev or prod" ;;
esac

requested=$(printf '%s' "$requested" | tr '[:upper:]' '[:lower:]')
if [[ ! $requested =~ ^[0-9a-f]{7,40}$ ]]; then
  fail "the sha input must be a commit id: 7 to 40 hexadecimal digits"
fi

if ! git rev-parse --verify --quiet "refs/remotes/origin/$branch" >/dev/null; then
  fail "origin/$branch is not in this checkout: check out with fetch-depth: 0"
fi

if ! sha=$(git rev-parse --verify --quiet --end-of-options "${requested}^{commit}"); then
  fail "commit $requested is not in this repository (or the short id is ambiguous): give a commit of $branch"
fi

if ! git merge-base --is-ancestor "$sha" "refs/remotes/origin/$branch"; then
  fail "commit $sha is not on $branch: only merged commits are deployed (merge it first, or pick an earlier commit of $branch to roll back)"
fi

head=$(git rev-parse "refs/remotes/origin/$branch")
behind=$(git rev-list --count "$sha..$head")

{
  echo "environment=$environment"
  echo "sha=$sha"
} >>"${GITHUB_OUTPUT:?GITHUB_OUTPUT must name the step output file}"

if [[ $behind -eq 0 ]]; then
  note="Deploying $sha, the head of $branch, to $environment."
else
  note="Deploying $sha to $environment: $behind commit(s) behind $branch ($head), a rollback."
fi
echo "$note"
if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
  echo "$note" >>"$GITHUB_STEP_SUMMARY"
fi
