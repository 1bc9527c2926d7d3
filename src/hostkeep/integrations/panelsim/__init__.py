"""Shared plumbing of the panel simulators (Pterodactyl, Proxmox): a threaded HTTP server with
latency and failure injection. Like ``gatewaysim`` for the payment gateways, it is a kit the
simulators build on, not an integration; integrations still never import each other."""
