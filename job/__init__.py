"""hestia-sync: keeps Hestia's DB1 (first-year schema) and DB2 (second-year schema) in sync."""
