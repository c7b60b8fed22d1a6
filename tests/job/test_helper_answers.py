"""The job checks what the helper answers: a value that is not a bcrypt hash or an http(s) URL rejects its row."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import SecretStr

from job.engine import execute
from job.flows import select_flows
from job.helper_client import HelperClient
from job.report import RunReport
from job.settings import JobSettings
from tests.job.builders import db2_student, insert, one
from tests.job.conftest import Pair
from tests.support.helper_server import TOKEN

HASH = "$2b$12$" + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0"
BROKEN_EMAIL = "broken.answer@example.com"


def problems(report: RunReport) -> dict[tuple[str, str], str]:
    return {(p.row_key, p.kind): p.reason for f in report.flows for s in f.steps for p in s.sample}


def students_run(make_settings: Callable[..., JobSettings], pair: Pair) -> RunReport:
    return execute(make_settings(pair), "run", select_flows(["students"]))


def created(pair: Pair) -> list[str]:
    return sorted(uid for (uid,) in pair.rows("db1", "SELECT uid::text FROM universitario"))


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            {"known": True, "password": "$2b$12$too-short"},
            "csenha: the helper's password hash for this account is not a bcrypt hash",
        ),
        (
            {"known": True, "password": "5f4dcc3b5aa765d61d8327deb882cf99"},
            "csenha: the helper's password hash for this account is not a bcrypt hash",
        ),
        (
            {"known": True, "password": "$2b$99$" + HASH[7:]},
            "csenha: the helper's password hash for this account has a bcrypt cost outside 4-31",
        ),
        (
            {"known": True, "password": {"hash": HASH}},
            "csenha: the helper's password hash for this account is an object, not a bcrypt hash",
        ),
        (
            {"known": True, "password": [HASH]},
            "csenha: the helper's password hash for this account is an array, not a bcrypt hash",
        ),
        (
            {"known": True, "password": None},
            "csenha: the helper's password hash for this account is null, not a bcrypt hash",
        ),
        (
            {"photo_url": "javascript:alert(document.cookie)"},
            "cfotoperfil: the helper's photo URL for this account is not an http(s) URL with a host",
        ),
        (
            {"photo_url": "https:///no-host.png"},
            "cfotoperfil: the helper's photo URL for this account is not an http(s) URL with a host",
        ),
        (
            {"photo_url": "https://img.example.com/a b.png"},
            "cfotoperfil: the helper's photo URL for this account contains spaces or control characters",
        ),
        (
            {"photo_url": "https://img.example.com/\x00.png"},
            "cfotoperfil: the helper's photo URL for this account contains spaces or control characters",
        ),
        ({"photo_url": 42}, "cfotoperfil: the helper's photo URL for this account is a number, not a URL"),
        (
            {"photo_url": {"url": "https://x"}},
            "cfotoperfil: the helper's photo URL for this account is an object, not a URL",
        ),
    ],
    ids=[
        "short-hash",
        "md5-hash",
        "bcrypt-cost-99",
        "dict-password",
        "list-password",
        "known-without-password",
        "javascript-url",
        "url-without-host",
        "url-with-space",
        "url-with-nul",
        "number-photo",
        "dict-photo",
    ],
)
def test_an_answer_that_is_not_a_hash_or_a_url_rejects_its_row_and_the_rest_of_the_batch_is_created(
    pair, helper, make_settings, answer, reason
):
    good = [db2_student(1), db2_student(2)]
    broken = db2_student(3, email=BROKEN_EMAIL)
    insert(pair, "db2", "universitario", [good[0], broken, good[1]])
    helper.state.answers[BROKEN_EMAIL] = answer

    report = students_run(make_settings, pair)

    found = problems(report)[(broken["id"], "rejected")]
    assert found == reason
    for value in answer.values():
        assert not isinstance(value, str) or value not in found
    assert "broken.answer" not in found
    assert created(pair) == sorted(s["id"] for s in good)
    assert report.exit_code == 3


def test_a_photo_url_longer_than_the_column_rejects_its_row(pair, helper, make_settings):
    pair.execute("db1", "ALTER TABLE universitario ALTER COLUMN cfotoperfil TYPE varchar(40)")
    long_url = "https://img.example.com/" + "a" * 60
    fits, too_long = db2_student(1), db2_student(2, email=BROKEN_EMAIL)
    insert(pair, "db2", "universitario", [fits, too_long])
    helper.state.known[BROKEN_EMAIL] = (HASH, long_url)

    report = students_run(make_settings, pair)

    assert problems(report)[(too_long["id"], "rejected")] == (
        "cfotoperfil: the helper's photo URL for this account has 84 characters, the column allows 40"
    )
    assert created(pair) == [fits["id"]]


def test_a_row_rejected_for_the_helpers_answer_is_created_once_the_helper_answers_well(pair, helper, make_settings):
    student = db2_student(1, email=BROKEN_EMAIL)
    insert(pair, "db2", "universitario", [student])
    helper.state.known[BROKEN_EMAIL] = (HASH, None)
    helper.state.answers[BROKEN_EMAIL] = {"password": {"not": "a hash"}}
    assert students_run(make_settings, pair).exit_code == 3

    helper.state.answers.clear()
    report = students_run(make_settings, pair)

    assert report.exit_code == 0
    assert one(pair, "db1", "SELECT csenha FROM universitario")["csenha"] == HASH


@pytest.mark.parametrize(
    "answer",
    [
        {"known": True, "password": HASH},
        {"known": True, "password": "$2a$04$" + HASH[7:]},
        {"known": True, "password": "$2y$31$" + HASH[7:]},
        {"known": True, "password": "$2b$10$./" + HASH[9:]},
        {"known": False, "password": {"ignored": "when unknown"}},
        {"photo_url": "http://img.example.com/p.png"},
        {"photo_url": "HTTPS://img.example.com:8443/p.png?size=200#top"},
        {"photo_url": "https://img.example.com/ação.png"},
        {"photo_url": None},
    ],
)
def test_answers_of_the_expected_shape_pass_through_unchanged(helper, answer):
    helper.state.answers[BROKEN_EMAIL] = answer

    with HelperClient(helper.url, SecretStr(TOKEN)) as client:
        found = client.lookup([BROKEN_EMAIL]).found[BROKEN_EMAIL]

    assert (found.password_problem, found.photo_problem) == (None, None)
    if "photo_url" in answer:
        assert found.photo_url == answer["photo_url"]
    if answer.get("known"):
        assert found.password_hash == answer["password"]
    else:
        assert found.password_hash is None


def test_a_malformed_answer_for_one_email_leaves_the_others_of_its_chunk_answered(helper):
    helper.state.known["fine@example.com"] = (HASH, "https://img.example.com/fine.png")
    helper.state.answers[BROKEN_EMAIL] = {"known": True, "password": 12, "photo_url": ["x"]}

    with HelperClient(helper.url, SecretStr(TOKEN)) as client:
        result = client.lookup(["fine@example.com", BROKEN_EMAIL])

    assert result.found["fine@example.com"].password_hash == HASH
    broken = result.found[BROKEN_EMAIL]
    assert (broken.password_hash, broken.photo_url) == (None, None)
    assert broken.password_problem == "the helper's password hash for this account is a number, not a bcrypt hash"
    assert broken.photo_problem == "the helper's photo URL for this account is an array, not a URL"
    assert not result.unavailable
