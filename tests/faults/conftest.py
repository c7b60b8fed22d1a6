"""Fixtures of the fault tests: the data sets as templates (once per session) and a helper that knows their emails."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.faults.dataset import Dataset, build_dataset
from tests.faults.killpoints import Reference, run_reference
from tests.faults.processes import Probe, drop_pair
from tests.job.conftest import Pair
from tests.support.helper_server import HelperServer
from tests.support.postgres import PgServer


@pytest.fixture(scope="session")
def fault_dataset(pg_server: PgServer) -> Dataset:
    """Work in every flow, with rejected and deferred rows (a run exits 3)."""
    return build_dataset(pg_server, "faults")


@pytest.fixture(scope="session")
def clean_dataset(pg_server: PgServer) -> Dataset:
    """Work in every flow and nothing to reject (a run exits 0)."""
    return build_dataset(pg_server, "faults_clean", rejections=False)


@pytest.fixture(scope="session")
def known_helper(fault_dataset: Dataset, clean_dataset: Dataset) -> Iterator[HelperServer]:
    """A helper that knows the data sets' emails, shared by the runs that do not script it."""
    with HelperServer() as helper:
        helper.state.known.update({**fault_dataset.known, **clean_dataset.known})
        yield helper


@pytest.fixture
def probe(pg_server: PgServer) -> Iterator[Probe]:
    """One admin connection for the server-side checks a test polls (locks, sessions)."""
    with Probe(pg_server) as opened:
        yield opened


@pytest.fixture
def clean_copy(clean_dataset: Dataset) -> Iterator[Callable[[str], Pair]]:
    """Fresh copies of the clean data set, dropped after the test."""
    made: list[Pair] = []

    def copy(prefix: str) -> Pair:
        made.append(clean_dataset.copy(prefix))
        return made[-1]

    yield copy
    for pair in made:
        drop_pair(clean_dataset.server, pair)


@pytest.fixture(scope="session")
def clean_reference(clean_dataset: Dataset, known_helper: HelperServer) -> Reference:
    """What one uninterrupted run makes of the clean data set, and its statements."""
    return run_reference(clean_dataset, known_helper.url)
