"""The manual provisioning module: a task for staff, the service goes active when they confirm."""
