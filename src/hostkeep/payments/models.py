"""Payments: gateway interface + registry, gateway accounts, payments, refunds, webhook events; credits the ledger."""
