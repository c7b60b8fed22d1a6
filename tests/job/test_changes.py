"""The pure parts of change detection: when a window can be trusted, and 64-bit ids of own writes."""

from __future__ import annotations

import pytest

from job.changes import MAX_WINDOW, XID_SPAN, Identity, Snapshot, Watermark, full_xid, why_full

HERE = Identity("7714257016290278784", 16384)


@pytest.mark.parametrize(
    ("mark", "identity", "now", "reason"),
    [
        (None, HERE, Snapshot(10, 20), "no earlier run"),
        (Watermark(HERE, 10), Identity("1", 16384), Snapshot(10, 20), "not the one the last run saw"),
        (Watermark(HERE, 10), Identity(HERE.system_identifier, 99), Snapshot(10, 20), "not the one the last run saw"),
        (Watermark(HERE, 500), HERE, Snapshot(100, 200), "went backwards"),
        (Watermark(HERE, 10), HERE, Snapshot(10, 10 + MAX_WINDOW), "too many transactions"),
    ],
)
def test_a_window_that_cannot_be_trusted_says_why(mark, identity, now, reason):
    assert reason in (why_full(mark, identity, now) or "")


@pytest.mark.parametrize(
    "identity",
    [HERE, Identity(None, 16384)],
    ids=["same server", "identifier not readable by the role"],
)
def test_a_window_on_the_same_database_is_trusted(identity):
    assert why_full(Watermark(HERE, 10), identity, Snapshot(15, 10 + MAX_WINDOW - 1)) is None


@pytest.mark.parametrize(
    ("xid32", "top", "expected"),
    [
        (728, 727, 728),
        (5, XID_SPAN + 3, XID_SPAN + 5),
        (2, XID_SPAN - 1, XID_SPAN + 2),  # the subtransaction's id wrapped past its parent's
    ],
)
def test_an_own_write_id_is_placed_in_its_parent_transactions_epoch(xid32, top, expected):
    assert full_xid(xid32, top) == expected


def test_scrub_hides_a_password_that_holds_quotes_or_an_at_sign():
    from job.uris import scrub

    text = "a postgresql://o'neil:SE'C@R\"ET@db.example.com/x failed"
    assert scrub(text) == "a postgresql://o'neil:***@db.example.com/x failed"
