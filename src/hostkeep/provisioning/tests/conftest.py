"""Provisioning's fixtures live in ``fixtures.py``, loaded for the whole suite by the root
conftest (tests/test_provisioning_life.py uses them too)."""
