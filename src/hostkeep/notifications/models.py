"""Notifications: the event catalogue, channels, templates, preferences and the delivery log."""
