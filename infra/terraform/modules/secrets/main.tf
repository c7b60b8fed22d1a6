################################################################################
# Secret containers only: the values are put out of band, so they never reach state or code
################################################################################

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:The values are Aiven connection URIs and API tokens rotated at their source; there is no rotation function to attach.
  for_each = toset(var.secret_names)

  name                    = "${var.name_prefix}${each.value}"
  description             = "hestia-sync ${each.value}; value set out of band (see docs: Deploying)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days
}
