"""The shape of a flow declaration: frozen, validated data that the engine interprets."""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, NamedTuple

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from job.convert import COMPARATORS, CONVERTERS

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
RESOLVERS = ("username", "helper_password", "helper_photo")


class Side(StrEnum):
    """Which of the two databases."""

    DB1 = "db1"
    DB2 = "db2"


class Watch(NamedTuple):
    """A table whose changes make a step look at a row: the side, the table and its key column."""

    side: Side
    table: str
    key: str


class Declaration(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _identifier(value: str) -> str:
    if not IDENTIFIER.match(value):
        raise ValueError(f"{value!r} is not a lower-case SQL identifier")
    return value


Identifier = Annotated[str, AfterValidator(_identifier)]


class Lookup(Declaration):
    """The value is read from another table of the target, keyed by the source value."""

    table: Identifier
    key: Identifier
    value: Identifier
    missing: Literal["reject", "defer"] = "reject"


class Reference(Declaration):
    """A target column that must point at an existing row of the target, or the row is deferred."""

    column: Identifier
    table: Identifier
    key: Identifier


class ExactlyOne(Declaration):
    """Exactly one of these target columns must point at a row the target holds.

    A column may offer several keys (its converter is `candidates`); the rule keeps the ones its Reference
    finds in the target and the row points at the one that is left. No candidate in any column: rejected
    (reason_if_none). Candidates, none in the target yet: deferred, naming them. More than one in the
    target: rejected (reason_if_many), naming them. Reasons name keys, never the values that matched."""

    columns: tuple[str, ...]
    reason_if_none: str
    reason_if_many: str


class Column(Declaration):
    """One target column and where its value comes from.

    Exactly one origin: a source column (optionally converted or looked up), a resolver that
    fetches values for the rows about to be inserted, or a constant.
    """

    target: Identifier
    source: Identifier | None = None
    convert: str = "same"
    compare: str = "equal"
    resolver: str | None = None
    lookup: Lookup | None = None
    constant: Decimal | int | str | bool | None = None

    @field_validator("convert")
    @classmethod
    def _known_converter(cls, value: str) -> str:
        if value not in CONVERTERS:
            raise ValueError(f"unknown converter {value!r}; known: {', '.join(sorted(CONVERTERS))}")
        return value

    @field_validator("compare")
    @classmethod
    def _known_comparator(cls, value: str) -> str:
        if value not in COMPARATORS:
            raise ValueError(f"unknown comparator {value!r}; known: {', '.join(sorted(COMPARATORS))}")
        return value

    @field_validator("resolver")
    @classmethod
    def _known_resolver(cls, value: str | None) -> str | None:
        if value is not None and value not in RESOLVERS:
            raise ValueError(f"unknown resolver {value!r}; known: {', '.join(RESOLVERS)}")
        return value

    @model_validator(mode="after")
    def _one_origin(self) -> Column:
        if self.source is None and (self.resolver or self.lookup):
            raise ValueError(f"column {self.target}: a resolver or lookup needs a source column to key on")
        if self.resolver and self.lookup:
            raise ValueError(f"column {self.target}: give a resolver or a lookup, not both")
        if self.source is not None and self.constant is not None:
            raise ValueError(f"column {self.target}: give a source or a constant, not both")
        return self

    @property
    def is_derived(self) -> bool:
        """Filled at insert time by a resolver or lookup, so never compared for updates."""
        return self.resolver is not None or self.lookup is not None


class CopyStep(Declaration):
    """Rows move one way, from a source table to a target table, matched by key."""

    kind: Literal["copy"] = "copy"
    name: str
    mode: Literal["upsert", "insert_missing", "update_existing"]
    source: Side
    source_table: Identifier
    source_key: Identifier
    source_sql: str | None = None
    """A SELECT over the source database; its columns are what `source` names refer to. `{source}` in it
    stands for the rows of source_table this run reads (all of them, or the changed ones)."""
    target: Side
    target_table: Identifier
    target_key: Identifier
    columns: tuple[Column, ...]
    insert_timestamps: tuple[str, ...] = ()
    """Target columns set to now() on insert."""
    update_timestamps: tuple[str, ...] = ()
    """Target columns set to now() when a value really changed."""
    references: tuple[Reference, ...] = ()
    exactly_one: ExactlyOne | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CopyStep:
        if self.source == self.target:
            raise ValueError(f"step {self.name}: source and target are the same database")
        if self.source_sql is not None and "{source}" not in self.source_sql:
            raise ValueError(f"step {self.name}: source_sql must read {{source}} (the rows of {self.source_table})")
        targets = [column.target for column in self.columns]
        duplicated = sorted({name for name in targets if targets.count(name) > 1})
        if duplicated:
            raise ValueError(f"step {self.name}: target columns mapped twice: {', '.join(duplicated)}")
        if self.target_key in targets:
            raise ValueError(f"step {self.name}: the key {self.target_key} is mapped implicitly, not as a column")
        unknown = {r.column for r in self.references} - set(targets)
        if self.exactly_one:
            unknown |= set(self.exactly_one.columns) - set(targets)
        if unknown:
            raise ValueError(f"step {self.name}: rules name unmapped columns: {', '.join(sorted(unknown))}")
        loose = self._loose_candidates()
        if loose:
            what = "an insert_missing step, exactly_one and a reference"
            raise ValueError(f"step {self.name}: candidates need {what}: {', '.join(loose)}")
        return self

    def _loose_candidates(self) -> list[str]:
        """Columns converted to `candidates` that no rule chooses among (only an insert runs ExactlyOne)."""
        chosen: set[str] = set()
        if self.mode == "insert_missing" and self.exactly_one:
            chosen = set(self.exactly_one.columns) & {r.column for r in self.references}
        return sorted(c.target for c in self.columns if c.convert == "candidates" and c.target not in chosen)

    @property
    def driver(self) -> Watch:
        """The table the step reads row by row."""
        return Watch(self.source, self.source_table, self.source_key)

    @property
    def watches(self) -> tuple[Watch, ...]:
        """Changes here bring a row into the run. An insert-only step ignores the target: a row deleted
        there is only put back by a full comparison."""
        if self.mode == "insert_missing":
            return (self.driver,)
        return (self.driver, Watch(self.target, self.target_table, self.target_key))


class StatusStep(Declaration):
    """One status column kept equal on both sides against the value seen at the last sync.

    `left` wins a conflict (both sides changed to different values); the conflict is recorded.
    """

    kind: Literal["status"] = "status"
    name: str
    left: Side
    left_table: Identifier
    left_key: Identifier
    left_column: Identifier
    left_to_common: str
    common_to_left: str
    right: Side
    right_table: Identifier
    right_key: Identifier
    right_column: Identifier
    right_to_common: str = "same"
    common_to_right: str = "same"
    right_update_timestamps: tuple[str, ...] = ()

    @field_validator("left_to_common", "common_to_left", "right_to_common", "common_to_right")
    @classmethod
    def _known_converter(cls, value: str) -> str:
        if value not in CONVERTERS:
            raise ValueError(f"unknown converter {value!r}")
        return value

    @property
    def driver(self) -> Watch:
        """The table the step reads row by row."""
        return Watch(self.left, self.left_table, self.left_key)

    @property
    def watches(self) -> tuple[Watch, ...]:
        """A change on either side brings the row into the run."""
        return (self.driver, Watch(self.right, self.right_table, self.right_key))


Step = Annotated[CopyStep | StatusStep, Field(discriminator="kind")]
"""Every step kind, told apart by `kind`; each has a runner and checks in job/steps.py."""


class Flow(Declaration):
    """A named unit of sync: its steps run in order."""

    name: str
    description: str
    steps: tuple[Step, ...]
