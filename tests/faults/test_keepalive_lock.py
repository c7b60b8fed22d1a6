"""A task that vanishes without closing its sockets (a Fargate task killed with its network) must not keep the run's
advisory lock for the server's default TCP keepalive of two hours: the job's keepalive settings reach the server
session, whose probes find the peer gone and end it, which frees the lock.

The run's connections to DB2 (the state database) go through a proxy. The run holds the lock while the helper
stalls; the proxy stops forwarding, the job is killed -9 (its sockets to the proxy close, the proxy keeps the
server's side open and silent: to the server the client is just idle), then the proxy drops its server-side
sockets without a word (`TcpProxy.vanish`), as a host that lost its network: only a keepalive probe can tell.
"""

from __future__ import annotations

import pytest

from tests.faults.processes import job_env, start_job, wait_until
from tests.support.helper_server import Failure, HelperServer
from tests.support.tcp_proxy import TcpProxy, vanish_supported

KEEPALIVES = {"JOB_TCP_KEEPALIVE_IDLE_S": "1", "JOB_TCP_KEEPALIVE_INTERVAL_S": "1", "JOB_TCP_KEEPALIVE_COUNT": "2"}
GIVE_UP_S = 1 + 1 * 2  # idle + interval x count: when the server's probes would have ended a silent peer
STALL_S = 30.0
WAIT_S = 60.0
FREE_WITHIN_S = 20.0  # well past GIVE_UP_S, well short of the job's default keepalive time (60 s idle)

pytestmark = pytest.mark.skipif(
    not vanish_supported(), reason="the proxy's vanish() needs CAP_NET_ADMIN (TCP_REPAIR): run the suite as root"
)


@pytest.fixture
def stalling_helper(clean_dataset):
    """A helper that answers nothing for STALL_S seconds: the run waits on it holding the lock."""
    with HelperServer() as helper:
        helper.state.known.update(clean_dataset.known)
        helper.state.fail_always = Failure(status=503, delay_s=STALL_S)
        yield helper


def test_the_lock_of_a_run_that_vanished_with_its_network_frees_within_its_keepalive_time(
    pg_server, clean_copy, stalling_helper, probe, tmp_path
):
    if pg_server.origin != "local binaries":
        pytest.skip("needs a server whose TCP peer is the proxy itself (a container's port mapping proxies too)")
    pair = clean_copy("gone")
    with TcpProxy.for_dsn(pair.db2, "DB2") as proxy:
        env = job_env(
            pair, stalling_helper.url, JOB_HELPER_TIMEOUT_S=str(STALL_S + 10), JOB_HELPER_RETRIES="0", **KEEPALIVES
        )
        env["URI_BANCO_2"] = proxy.dsn(pair.db2)
        job = start_job(["run"], env, tmp_path, "vanished")
        try:
            assert wait_until(lambda: stalling_helper.state.requests >= 1, WAIT_S), job.stderr.read_text()[-2000:]
            holder = probe.lock_holder(pair.db2)
            assert holder is not None, "the run does not hold the lock while it waits on the helper"

            proxy.blackhole()
            job.process.kill()
            job.finish()
            # Sockets still open at the proxy: its kernel answers the probes, so nothing may free the lock yet.
            assert not wait_until(lambda: probe.lock_holder(pair.db2) != holder, GIVE_UP_S + 1)
            proxy.vanish()

            assert wait_until(lambda: probe.lock_holder(pair.db2) is None, FREE_WITHIN_S), (
                f"the lock is still held {FREE_WITHIN_S} s after the job vanished: the server did not probe the peer"
            )
        finally:
            if job.process.poll() is None:
                job.process.kill()
                job.process.wait()
