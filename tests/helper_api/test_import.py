"""import-credentials: loading CSV into the store, idempotence, bad rows, unusable files, the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import bcrypt
import psycopg2
import pytest

from helper_api.errors import UnusableFileError
from helper_api.importer import import_credentials, read_credentials
from helper_api.migrations import migrate
from helper_api.settings import Settings
from tests.helper_api.support import helper_env
from tests.support import secrets

HASH_2A = bcrypt.hashpw(b"given-as-hash", bcrypt.gensalt(4, prefix=b"2a")).decode()
HASH_2B = bcrypt.hashpw(b"given-as-hash", bcrypt.gensalt(4)).decode()
HASH_2Y = HASH_2B.replace("$2b$", "$2y$", 1)


@pytest.fixture
def store(settings: Settings) -> Settings:
    migrate(settings)
    return settings


def write(tmp_path: Path, text: str, name: str = "credentials.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def stored(settings: Settings) -> dict[str, tuple[str, str | None, object]]:
    conn = psycopg2.connect(settings.database_url.get_secret_value())
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT email, password_hash, photo_url, updated_at FROM helper.credentials")
            return {email: (password_hash, photo, updated) for email, password_hash, photo, updated in cur.fetchall()}
    finally:
        conn.close()


GOOD = '''email,password,photo_url
ana.souza@example.com,Ana-pass-1,https://images.example.com/ana.jpg
 Bruno.Lima@Example.COM ,Bruno pass with spaces ,
carla@example.com,"comma, and ""quotes""",http://img.example.com/c.png
'''


def test_import_hashes_plaintext_with_bcrypt_and_normalises_emails(store: Settings, tmp_path: Path) -> None:
    report = import_credentials(store, write(tmp_path, GOOD))
    assert (report.inserted, report.updated, report.unchanged, report.bad_rows) == (3, 0, 0, [])
    rows = stored(store)
    assert set(rows) == {"ana.souza@example.com", "bruno.lima@example.com", "carla@example.com"}
    plaintexts = {
        "ana.souza@example.com": "Ana-pass-1",
        "bruno.lima@example.com": "Bruno pass with spaces ",
        "carla@example.com": 'comma, and "quotes"',
    }
    for email, plaintext in plaintexts.items():
        password_hash = rows[email][0]
        assert password_hash.startswith("$2b$04$")
        assert bcrypt.checkpw(plaintext.encode(), password_hash.encode())
    assert rows["ana.souza@example.com"][1] == "https://images.example.com/ana.jpg"
    assert rows["bruno.lima@example.com"][1] is None


def test_importing_the_same_file_again_changes_nothing(store: Settings, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + f"dora@example.com,{HASH_2B},\n")
    import_credentials(store, path)
    before = stored(store)
    again = import_credentials(store, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert stored(store) == before  # same hashes, same updated_at


def test_a_changed_password_or_photo_updates_only_that_row(store: Settings, tmp_path: Path) -> None:
    import_credentials(store, write(tmp_path, GOOD))
    before = stored(store)
    changed = GOOD.replace("Ana-pass-1", "Ana-pass-NEW").replace("http://img.example.com/c.png", "")
    report = import_credentials(store, write(tmp_path, changed, "changed.csv"))
    assert (report.inserted, report.updated, report.unchanged) == (0, 2, 1)
    after = stored(store)
    assert bcrypt.checkpw(b"Ana-pass-NEW", after["ana.souza@example.com"][0].encode())
    assert after["carla@example.com"][1] is None
    assert after["carla@example.com"][0] == before["carla@example.com"][0]  # still verifies: kept
    assert after["bruno.lima@example.com"] == before["bruno.lima@example.com"]
    assert after["ana.souza@example.com"][2] > before["ana.souza@example.com"][2]


@pytest.mark.parametrize("given", [HASH_2A, HASH_2B, HASH_2Y], ids=["2a", "2b", "2y"])
def test_a_password_given_as_a_bcrypt_hash_is_stored_as_is(store: Settings, tmp_path: Path, given: str) -> None:
    import_credentials(store, write(tmp_path, f"email,password\nhash@example.com,{given}\n"))
    assert stored(store)["hash@example.com"][0] == given


def test_the_photo_column_is_optional(store: Settings, tmp_path: Path) -> None:
    report = import_credentials(store, write(tmp_path, "Email , Password\nana@example.com,pw\n"))
    assert report.inserted == 1
    assert stored(store)["ana@example.com"][1] is None


BAD_ROWS_FILE = """email,password,photo_url
good1@example.com,pw1,
not-an-email,pw2,
empty@example.com,,
good2@example.com,"a password
spanning two lines",https://img.example.com/2.png
GOOD1@example.com,pw-again,
toolong@example.com,{long},
badhash@example.com,$2b$04$short,
badphoto@example.com,pw3,ftp://img.example.com/x.png
spacephoto@example.com,pw4,https://img.example.com/a b.png
too,many,fields,here
nul@example.com,a\x00b,

good3@example.com,pw5,
""".format(long="x" * 73)


def test_bad_rows_are_reported_with_line_number_and_reason_and_the_rest_loaded(store: Settings, tmp_path: Path) -> None:
    report = import_credentials(store, write(tmp_path, BAD_ROWS_FILE))
    assert [(bad.line, bad.reason) for bad in report.bad_rows] == [
        (3, "invalid email address"),
        (4, "empty password"),
        (7, "the same email is already on line 2"),
        (8, "password longer than 72 bytes, bcrypt's limit: give its bcrypt hash instead"),
        (9, "password starts like a bcrypt hash but is not a complete one"),
        (10, "photo_url must start with http:// or https://"),
        (11, "photo_url contains spaces or control characters"),
        (12, "expected 3 fields (email,password,photo_url), found 4"),
        (13, "password contains a NUL character (bcrypt would silently cut it there)"),
    ]
    assert set(stored(store)) == {"good1@example.com", "good2@example.com", "good3@example.com"}
    assert report.inserted == 3
    assert report.exit_code == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"mail,password\na@b.co,x\n", "line 1: the header is 'mail,password'"),
        (b"email,password,extra\n", "it must be email,password[,photo_url]"),
        (b"email,email,password\n", "it must be"),
        (b"email,password\na@b.co,ok\nb@b.co,caf\xe9\n", "line 3: not UTF-8"),
        (b'email,password\na@b.co,"unclosed\n', "not valid CSV"),
    ],
    ids=["empty", "wrong-header", "extra-column", "duplicate-column", "latin-1", "unclosed-quote"],
)
def test_an_unusable_file_loads_nothing_and_says_why(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(UnusableFileError, match=message.replace("[", r"\[").replace("(", r"\(")):
        read_credentials(path)


def test_a_missing_file_is_unusable(tmp_path: Path) -> None:
    with pytest.raises(UnusableFileError, match="cannot read"):
        read_credentials(tmp_path / "absent.csv")


def test_a_byte_order_mark_is_accepted(store: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffemail,password\nana@example.com,pw\n".encode())
    assert import_credentials(store, path).inserted == 1


def run_cli(tmp_path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helper_api", *args],
        cwd=tmp_path, env=helper_env({"HELPER_DATABASE_URL": database_url}),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_cli_migrates_an_empty_database_loads_and_exits_0_then_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path, GOOD)
    first = run_cli(tmp_path, database_url, "import-credentials", str(path))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().endswith("3 rows read: 3 inserted, 0 updated, 0 unchanged, 0 skipped")
    second = run_cli(tmp_path, database_url, "import-credentials", str(path))
    assert second.returncode == 0, second.stderr
    assert "0 inserted, 0 updated, 3 unchanged, 0 skipped" in second.stdout


def test_the_cli_exits_3_when_rows_were_skipped_naming_their_lines_but_no_secret(
    database_url: str, tmp_path: Path
) -> None:
    result = run_cli(tmp_path, database_url, "import-credentials", str(write(tmp_path, BAD_ROWS_FILE)))
    assert result.returncode == 3, result.stderr
    assert f"{tmp_path / 'credentials.csv'}, line 3: skipped: invalid email address" in result.stderr
    assert "line 13: skipped" in result.stderr
    assert "3 inserted" in result.stdout
    for secret in ("pw1", "spanning two lines", "x" * 73, "not-an-email", "a\x00b"):
        assert secret not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import-credentials", "absent.csv"], "helper_api: cannot read absent.csv"),
        (["import-credentials"], "the following arguments are required: FILE.csv"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_the_cli_exits_2_on_an_unusable_file_or_usage(
    database_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    result = run_cli(tmp_path, database_url, *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_the_cli_names_a_missing_setting_in_one_line_and_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "helper_api", "migrate"],
        cwd=tmp_path, env=helper_env({}), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "helper_api: configuration error: HELPER_DATABASE_URL is required: set it in the environment or in .env"
    ]


def test_the_cli_reads_settings_from_a_dot_env_file(database_url: str, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"HELPER_DATABASE_URL={database_url}\nURI_BANCO_1=postgresql://x@y/z\n")
    result = subprocess.run(
        [sys.executable, "-m", "helper_api", "migrate"],
        cwd=tmp_path, env=helper_env({}), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "schema helper: applied migration(s) 1 (credentials table)"


def test_an_unreachable_database_exits_1_without_printing_the_password(tmp_path: Path) -> None:
    url = "postgresql://helper:hunter2-secret@127.0.0.1:1/helper"
    result = run_cli(tmp_path, url, "migrate")
    assert result.returncode == 1
    assert "cannot connect to HELPER_DATABASE_URL (postgresql://helper@127.0.0.1:1/helper)" in result.stderr
    assert "hunter2-secret" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://helper:Pw1@Zq9xSecret@127.0.0.1:9/helper",
        "postgresql://helper:Leak/Part9x@127.0.0.1:9/helper",
    ],
)
def test_a_database_url_whose_password_libpq_would_misread_is_refused_without_a_fragment_of_it(
    tmp_path: Path, url: str
) -> None:
    secrets.current().secret(url.split("helper:", 1)[1].rsplit("@127", 1)[0], "the misencoded password")
    result = run_cli(tmp_path, url, "migrate")
    assert result.returncode == 2
    assert "HELPER_DATABASE_URL: its user-info cannot be read unambiguously" in result.stderr
    assert "percent-encode" in result.stderr


def test_an_unreachable_store_is_named_in_the_jobs_words_never_libpqs(tmp_path: Path) -> None:
    password = "Sl/ash@Pw%9q"
    secrets.current().secret(password, "the store password")
    result = run_cli(tmp_path, f"postgresql://helper:{quote(password, safe='')}@127.0.0.1:9/helper", "migrate")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "helper_api: cannot connect to HELPER_DATABASE_URL (postgresql://helper@127.0.0.1:9/helper): "
        "nothing accepts connections at that host and port"
    )
