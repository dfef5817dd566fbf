"""Fixtures for the harvester: the stand-in site on 127.0.0.1 (harvest/standin.py) serving SYNTHETIC HTML made
from the sample pages or from bench/synthetic.py's pages. Nothing here contacts any other host."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harvest.standin import StandIn
from tests.harvest.harvest_helpers import sample_site_pages


@pytest.fixture
def sample_site() -> Iterator[StandIn]:
    with StandIn(sample_site_pages(), slow_seconds=1.5) as site:
        yield site
