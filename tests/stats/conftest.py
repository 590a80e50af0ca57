"""A known year (2024) of one county: outputs of every kind and level, views and downloads,
agreements and loans, activities — built through the real services and models."""

from __future__ import annotations

import pytest

from tests.support.stats import KnownYear, build_known_year


@pytest.fixture
def known(app, sample_dir) -> KnownYear:
    return build_known_year(app, sample_dir)
