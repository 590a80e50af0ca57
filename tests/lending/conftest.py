"""Lending fixtures: the shared world plus a weak school, a second school, a liaison coordinator and
lendable outputs uploaded through the API (real files, real storage)."""

from __future__ import annotations

import pytest

from tests.support.lending import Lending, build_lending


@pytest.fixture
def lend(app, client, sample_dir) -> Lending:
    return build_lending(app, client, sample_dir)

