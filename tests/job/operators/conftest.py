"""The operator commands' tests share one setting: the sample pair, the test helper, and one run behind them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.job.cli import cli_env, run_cli
from tests.job.conftest import Pair
from tests.support.helper_server import TOKEN, HelperServer

BRUNO_HASH = "$2b$12$" + "h" * 53


@pytest.fixture
def env(sample_pair: Pair, helper: HelperServer) -> dict[str, str]:
    helper.state.known["bruno.lima@example.com"] = (BRUNO_HASH, None)
    return cli_env(sample_pair, helper.url, TOKEN)


@pytest.fixture
def after_run(sample_pair: Pair, env: dict[str, str], tmp_path: Path) -> Pair:
    """The sample pair after one run: the state schema exists, with run 1 and its two rejections."""
    assert run_cli(["run"], env, tmp_path).code == 3
    return sample_pair
