"""Fixtures for provisioning's tests live in ``fixtures.py`` (shared with tests/test_provisioning_life.py)."""

from hostkeep.provisioning.tests.fixtures import *  # noqa: F403
