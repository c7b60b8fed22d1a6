"""A small Dockerfile reader for the static tests: instructions, their stage, the comment above them."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    """One instruction, continuation lines joined."""

    keyword: str
    arguments: str
    stage: int  # -1 for the ARGs before the first FROM
    comment: str  # the comment lines right above it, joined; "" when none
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form CMD/ENTRYPOINT, or None for the shell form."""
        try:
            value = json.loads(self.arguments)
        except ValueError:
            return None
        return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None

    def flags_and_words(self) -> tuple[dict[str, str], list[str]]:
        """Leading --flag=value options (COPY --from=..., RUN --mount=...) and the remaining words."""
        flags: dict[str, str] = {}
        words = shlex.split(self.arguments, posix=True)
        while words and words[0].startswith("--"):
            name, _, value = words.pop(0)[2:].partition("=")
            flags[name] = f"{flags[name]};{value}" if name in flags else value
        return flags, words


@dataclass(frozen=True)
class Dockerfile:
    path: Path
    instructions: list[Instruction]

    @property
    def final_stage(self) -> int:
        return max(i.stage for i in self.instructions)

    def stage(self, index: int) -> list[Instruction]:
        return [i for i in self.instructions if i.stage == index]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def parse(path: Path) -> Dockerfile:
    """Read a Dockerfile into its instructions (parser directives and comments become `comment`)."""
    instructions: list[Instruction] = []
    comment: list[str] = []
    pending: list[str] = []
    start = 0
    stage = -1
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not pending:
            if not line:
                comment = []
                continue
            if line.startswith("#"):
                comment.append(line.lstrip("#").strip())
                continue
            start = number
        elif line.startswith("#"):
            continue  # a comment inside a continued instruction is dropped, as Docker does
        pending.append(line[:-1].rstrip() if line.endswith("\\") else line)
        if line.endswith("\\"):
            continue
        text = " ".join(part for part in pending if part)
        keyword, _, arguments = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        instructions.append(Instruction(keyword, arguments.strip(), stage, " ".join(comment), start))
        pending, comment = [], []
    return Dockerfile(path, instructions)


def arg_default(dockerfile: Dockerfile, name: str, stage: int = -1) -> str | None:
    """The default value of ARG name declared in the given stage (-1: before the first FROM)."""
    for instruction in dockerfile.stage(stage):
        if instruction.keyword == "ARG":
            key, sep, value = instruction.arguments.partition("=")
            if key.strip() == name:
                return value.strip().strip('"') if sep else None
    return None


LABEL_PAIR = re.compile(r'([\w.\-]+)=("(?:[^"\\]|\\.)*"|\S+)')


def labels(dockerfile: Dockerfile, stage: int) -> dict[str, str]:
    """Every LABEL key=value of a stage, quotes removed."""
    found: dict[str, str] = {}
    for instruction in dockerfile.stage(stage):
        if instruction.keyword == "LABEL":
            for key, value in LABEL_PAIR.findall(instruction.arguments):
                found[key] = value.strip('"')
    return found
