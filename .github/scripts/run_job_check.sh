#!/usr/bin/env bash
# Runs the job's new task definition once with the command `check` (databases, mapped columns, the
# helper and its token) and fails unless the container exits 0. Prints the task's log lines, which the
# job keeps free of secrets, so a failed deploy says which check failed.
#
# Reads  CLUSTER                ECS cluster (terraform output cluster_name)
#        TASK_DEFINITION        the job's task definition ARN with its revision (job_task_definition_arn)
#        CONTAINER              the job's container name (job_container_name)
#        NETWORK_CONFIGURATION  run-task network configuration JSON (job_network_configuration)
set -euo pipefail

fail() {
  echo "::error title=Job check failed::$1"
  exit 1
}

for name in CLUSTER TASK_DEFINITION CONTAINER NETWORK_CONFIGURATION; do
  [[ -n ${!name:-} ]] || fail "$name is empty: the Terraform outputs were not read"
done

# The task's own log stream, awslogs-stream-prefix/container/task-id; best effort, the deploy role
# may be refused logs:GetLogEvents.
show_log() {
  local task_id=$1 options group prefix
  if ! options=$(aws ecs describe-task-definition --task-definition "$TASK_DEFINITION" --output json 2>/dev/null); then
    echo "(could not describe $TASK_DEFINITION to find the task's log stream)"
    return 0
  fi
  group=$(jq -r --arg c "$CONTAINER" \
    '.taskDefinition.containerDefinitions[] | select(.name == $c) | .logConfiguration.options["awslogs-group"] // empty' <<<"$options")
  prefix=$(jq -r --arg c "$CONTAINER" \
    '.taskDefinition.containerDefinitions[] | select(.name == $c) | .logConfiguration.options["awslogs-stream-prefix"] // empty' <<<"$options")
  if [[ -z $group || -z $prefix ]]; then
    echo "(the container has no awslogs group and stream prefix: no log to show)"
    return 0
  fi
  echo "::group::Log of the check task ($group, $prefix/$CONTAINER/$task_id)"
  if ! aws logs get-log-events --log-group-name "$group" --log-stream-name "$prefix/$CONTAINER/$task_id" \
    --start-from-head --limit 200 --output json | jq -r '.events[].message'; then
    echo "(could not read the log: read it in CloudWatch, group $group, stream $prefix/$CONTAINER/$task_id)"
  fi
  echo "::endgroup::"
}

overrides=$(jq -cn --arg c "$CONTAINER" '{containerOverrides: [{name: $c, command: ["check"]}]}')
started=$(aws ecs run-task --cluster "$CLUSTER" --task-definition "$TASK_DEFINITION" --launch-type FARGATE \
  --network-configuration "$NETWORK_CONFIGURATION" --overrides "$overrides" --started-by github-deploy-check \
  --count 1 --output json)
task_arn=$(jq -r '.tasks[0].taskArn // empty' <<<"$started")
if [[ -z $task_arn ]]; then
  fail "ECS did not start the check task: $(jq -c '.failures' <<<"$started")"
fi
task_id=${task_arn##*/}
echo "Started the check task $task_id on $CLUSTER; waiting for it to stop (at most 10 minutes)"

if ! aws ecs wait tasks-stopped --cluster "$CLUSTER" --tasks "$task_arn"; then
  fail "the check task $task_id did not stop within 10 minutes: see it in the ECS console (aws ecs stop-task stops it)"
fi

stopped=$(aws ecs describe-tasks --cluster "$CLUSTER" --tasks "$task_arn" --output json)
exit_code=$(jq -r --arg c "$CONTAINER" '.tasks[0].containers[] | select(.name == $c) | .exitCode // empty' <<<"$stopped")
reason=$(jq -r --arg c "$CONTAINER" \
  '[.tasks[0].stoppedReason, (.tasks[0].containers[] | select(.name == $c) | .reason)] | map(select(. != null)) | join("; ")' \
  <<<"$stopped")

show_log "$task_id"

case "$exit_code" in
  0) echo "The job's check passed on the new task definition." ;;
  "") fail "the check task stopped before the job ran (${reason:-no reason given}): often an image that cannot be pulled or a secret that cannot be read" ;;
  2) fail "the job's check exited 2, a configuration error: every bad setting is named in the log above" ;;
  *) fail "the job's check exited $exit_code (${reason:-no reason given}): the log above says which check failed" ;;
esac
