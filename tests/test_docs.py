"""The docs hold to the code: the generated reference is current, links resolve, quoted messages still exist.

Each test names what to do when it fails: run `make docs`, fix the link, or update the quoted message.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import get_args

import pytest

from job import events, reference
from job.commands import COMMANDS
from job.errors import ExitCode
from job.events import Event
from job.flow_model import RESOLVERS, CopyStep
from job.steps import STEP_KINDS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
REFERENCE = DOCS / "reference.md"
PAGES = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", ROOT / "CHANGELOG.md", *sorted(DOCS.glob("*.md"))]
# Where the messages quoted in docs/operations.md must occur: the code and the make fragments.
MESSAGE_SOURCES = ["job/**/*.py", "helper_api/**/*.py", "Makefile", "mk/*.mk"]
# Quoted there, but written by Python itself, not by this code.
FOREIGN_MESSAGES = {"No module named"}
# Files whose mentions of docs/*.md must name pages that exist (CHANGELOG and tests may name old or made-up ones).
REFERRERS = ["Makefile", "pyproject.toml", "mk/*.mk", "docker/*", "job/**/*.py", "helper_api/**/*.py", ".github/**/*"]
README_LIMIT_BYTES = 8 * 1024
LONG_PAGE_LINES = 60

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*```")
CODE_SPAN = re.compile(r"`([^`]+)`")


def without_code_blocks(text: str) -> list[str]:
    """The page's lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in without_code_blocks(path.read_text(encoding="utf-8")):
        match = re.match(r"^#{1,6}\s+(.*)$", line)
        if match:
            base = slug(match[1])
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


def page_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_reference_page_is_what_the_code_says() -> None:
    written = REFERENCE.read_text(encoding="utf-8") if REFERENCE.is_file() else ""
    assert written == reference.render(), "docs/reference.md is out of date: run make docs"


def test_every_exit_status_has_a_meaning_and_what_to_do() -> None:
    missing = sorted(code.name for code in ExitCode if code not in reference.EXIT_STATUSES)
    assert not missing, f"add the meaning of {missing} to EXIT_STATUSES in job/reference.py, then run make docs"


def test_every_event_has_a_docstring() -> None:
    documented = reference.attribute_docs(Path(events.__file__).read_text(encoding="utf-8"), "Event")
    undescribed = [e.name for e in Event if e.name not in documented]
    assert not undescribed, f"give {undescribed} a docstring in job/events.py, then run make docs"


def test_every_copy_mode_resolver_and_step_kind_has_words() -> None:
    modes = set(get_args(CopyStep.model_fields["mode"].annotation))
    assert set(reference.COPY_MODES) == modes, "COPY_MODES in job/reference.py must cover CopyStep.mode"
    assert set(reference.RESOLVER_MEANINGS) == set(RESOLVERS), "RESOLVER_MEANINGS must cover job.flow_model.RESOLVERS"
    assert set(reference.STEP_RENDERERS) == set(STEP_KINDS), "STEP_RENDERERS must render every kind in STEP_KINDS"


def links() -> list[tuple[Path, str]]:
    found = []
    for page in PAGES:
        for line in without_code_blocks(page.read_text(encoding="utf-8")):
            found += [(page, target) for target in LINK.findall(CODE_SPAN.sub("", line))]
    return found


@pytest.mark.parametrize(("page", "target"), links(), ids=lambda value: str(value).replace(str(ROOT), "")[:60])
def test_every_link_between_pages_resolves(page: Path, target: str) -> None:
    if re.match(r"^[a-z]+:", target):
        return  # https:, mailto:: not this repository's
    path_part, _, anchor = target.partition("#")
    path = (page.parent / path_part).resolve() if path_part else page
    assert path.exists(), f"{page_id(page)} links to {target}, which does not exist"
    if anchor:
        assert path.suffix == ".md", f"{page_id(page)}: {target} has an anchor but is no page"
        assert anchor in anchors(path), f"{page_id(page)} links to #{anchor}, which no heading of {path.name} makes"


def quoted_rows(section: str) -> list[list[str]]:
    """The code spans of the first column of each row of the tables under `## section` in operations.md."""
    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in body.splitlines() if line.startswith("|") and not re.match(r"^\|[-| ]+\|$", line)]
    return [CODE_SPAN.findall(row.split(" | ")[0]) for row in rows[1:]]


@cache
def source_text() -> str:
    files = sorted({path for pattern in MESSAGE_SOURCES for path in ROOT.glob(pattern) if path.is_file()})
    return "\n".join(path.read_text(encoding="utf-8") for path in files)


@pytest.mark.parametrize("section", ["Troubleshooting", "Rejected and deferred rows"])
def test_every_message_the_operations_page_quotes_is_still_written_by_the_code(section: str) -> None:
    rows = quoted_rows(section)
    assert rows, f"no table under '## {section}' in docs/operations.md"
    assert all(rows), f"every row under '## {section}' quotes the message in `code`"
    gone = [fragment for row in rows for fragment in row if fragment not in FOREIGN_MESSAGES]
    gone = [fragment for fragment in gone if fragment not in source_text()]
    assert not gone, f"docs/operations.md quotes messages the code no longer writes: {gone}; update the table"


def docs_mentions() -> list[tuple[Path, str]]:
    files = sorted({path for pattern in REFERRERS for path in ROOT.glob(pattern) if path.is_file()})
    found = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found += [(path, name) for name in re.findall(r"\bdocs/[\w.-]+\.md\b", text)]
    return found


def test_every_docs_page_the_code_and_config_name_exists() -> None:
    missing = sorted({f"{page_id(path)}: {name}" for path, name in docs_mentions() if not (ROOT / name).is_file()})
    assert not missing, f"these name docs pages that do not exist: {missing}"


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda path: path.name)
def test_each_docs_page_says_who_it_is_for_and_a_long_one_has_contents(page: Path) -> None:
    lines = page.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# "), f"{page.name} starts with its title"
    first = next(line for line in lines[1:] if line.strip())
    assert not first.startswith(("#", "|", "-", "```", "!")), f"{page.name}: a paragraph on who it is for comes first"
    if len(lines) > LONG_PAGE_LINES and page.name not in {"performance.md", "reliability.md", "security.md"}:
        assert "## Contents" in lines, f"{page.name} is longer than a screen: give it a '## Contents' list"


def code_in(text: str) -> list[str]:
    """The page's code: each line of its fenced blocks, and each code span of its other lines."""
    found, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif fenced:
            found.append(line)
        else:
            found += CODE_SPAN.findall(line)
    return found


def named_in_docs(pattern: str) -> set[str]:
    """What the README and docs/ name in their code after `pattern`, at the start of a command."""
    names = set()
    for page in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        for code in code_in(page.read_text(encoding="utf-8")):
            names |= set(re.findall(rf"(?:^|[;&|(]\s*|\$ ){pattern}", code.strip()))
    return names


def test_every_command_the_docs_name_exists() -> None:
    known = {command.name for command in COMMANDS} | {"COMMAND"}
    named = named_in_docs(r"(?:\S*/)?(?:hestia-sync|python -m job)\s+([a-z][\w-]*)")
    assert named <= known, f"the docs name commands that do not exist: {sorted(named - known)}"


def test_every_make_target_the_docs_name_exists() -> None:
    makefiles = [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))]
    targets = {t for path in makefiles for t in re.findall(r"^([a-z][\w-]*):", path.read_text(), re.MULTILINE)}
    named = named_in_docs(r"(?:[A-Z_]+=\S+\s+)*make\s+(?:[A-Z_]+=\S+\s+)*([a-z][\w-]*)")
    assert named <= targets, f"the docs name make targets that do not exist: {sorted(named - targets)}"


def test_the_readme_stays_a_first_screen_and_a_quick_start() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert len(text.encode()) < README_LIMIT_BYTES, "the README grew past 8 KiB: move the detail to docs/"
    first_screen = "\n".join(text.splitlines()[:15])
    assert "make demo" in first_screen
    assert "make test" in first_screen
