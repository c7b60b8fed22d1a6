"""The build context: .dockerignore lets in what the Dockerfiles copy and nothing else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.docker import dockerignore
from tests.docker.dockerfile import parse
from tests.docker.support import DOCKERFILES, REPO

PATTERNS = dockerignore.load(REPO / ".dockerignore")
ALLOWED_TOP_LEVEL = {"pyproject.toml", "uv.lock", "README.md", "job", "helper_api", "docker"}


@pytest.mark.parametrize(
    "path",
    [
        ".git/HEAD",
        ".venv/bin/python",
        ".tools/bin/uv",
        "tests/conftest.py",
        "tests/docker/test_compose.py",
        ".env",
        "job/.env",
        "helper_api/.env.production",
        "job/__pycache__/engine.cpython-311.pyc",
        "helper_api/tls.key",
        "sample/credentials.csv",
        "infra/terraform/main.tf",
        ".github/workflows/ci.yml",
        "docker/compose.yaml",
        ".pytest_cache/README.md",
    ],
)
def test_context_leaves_out(path: str) -> None:
    assert dockerignore.excluded(PATTERNS, path)


@pytest.mark.parametrize(
    "path",
    [
        "pyproject.toml",
        "uv.lock",
        "README.md",
        "job/__init__.py",
        "job/__main__.py",
        "helper_api/gunicorn.conf.py",
        "helper_api/wsgi.py",
        "docker/healthcheck.py",
    ],
)
def test_context_takes_in(path: str) -> None:
    assert not dockerignore.excluded(PATTERNS, path)


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_everything_a_dockerfile_copies_from_the_context_is_in_it(name: str) -> None:
    sources: list[str] = []
    for instruction in parse(DOCKERFILES[name]).instructions:
        flags, words = instruction.flags_and_words()
        if instruction.keyword == "COPY" and "from" not in flags:
            sources += words[:-1]
        for mount in flags.get("mount", "").split(";"):
            options = dict(part.split("=", 1) for part in mount.split(",") if "=" in part)
            if options.get("type") == "bind" and "from" not in options:
                sources.append(options["source"])
    assert sources
    for source in sources:
        assert not dockerignore.excluded(PATTERNS, source), f"{name}: {source} is left out of the context"


def test_context_of_this_working_tree_holds_only_the_allowed_files() -> None:
    taken: list[str] = []
    for root, dirs, files in os.walk(REPO):
        relative_root = os.path.relpath(root, REPO)
        # Docker still walks an excluded folder when a later `!` pattern could re-include something
        # inside it; none of ours can reach inside these, so skipping them keeps the walk short.
        dirs[:] = [d for d in dirs if d not in {".git", ".venv", ".venv-checkov", ".tools", "node_modules"}]
        for name in files:
            path = name if relative_root == "." else f"{relative_root}/{name}".replace(os.sep, "/")
            if not dockerignore.excluded(PATTERNS, path):
                taken.append(path)
    assert "uv.lock" in taken
    for path in taken:
        assert path.split("/")[0] in ALLOWED_TOP_LEVEL, path
        assert "__pycache__" not in path
        assert not path.rsplit("/", 1)[-1].startswith(".env"), path
    assert [p for p in taken if p.startswith("docker/")] == ["docker/healthcheck.py"]


@pytest.mark.parametrize(
    ("patterns", "path", "left_out"),
    [
        (["*"], "tests/a/b.py", True),  # a folder matched means everything under it
        (["*", "!job"], "job/a/b.py", False),
        (["*.md"], "docs/local-stack.md", False),  # `*` stays within one segment
        (["**/*.md"], "docs/local-stack.md", True),
        (["**/__pycache__"], "job/a/__pycache__/x.pyc", True),
        (["docs", "!docs/keep.md"], "docs/keep.md", False),
        (["!job", "*"], "job/a.py", True),  # the last matching pattern decides
        (["/build/"], "build/out.whl", True),
        (["[a-c]?.py"], "b1.py", True),
        (["[!a-c]?.py"], "b1.py", False),
    ],
)
def test_matcher_follows_dockers_rules(tmp_path: Path, patterns: list[str], path: str, left_out: bool) -> None:
    ignore = tmp_path / ".dockerignore"
    ignore.write_text("# a comment\n\n" + "\n".join(patterns) + "\n")
    assert dockerignore.excluded(dockerignore.load(ignore), path) is left_out
