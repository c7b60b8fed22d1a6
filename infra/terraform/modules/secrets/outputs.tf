output "arns" {
  description = "Secret ARN by setting name (URI_BANCO_1 => arn:...)."
  value       = { for name, secret in aws_secretsmanager_secret.this : name => secret.arn }
}

output "names" {
  description = "Full secret name by setting name (URI_BANCO_1 => hestia-sync/dev/URI_BANCO_1)."
  value       = { for name, secret in aws_secretsmanager_secret.this : name => secret.name }
}
