"""Provisioning: module interface + registry, provisioning jobs with retries, reconciliation with the panels."""
