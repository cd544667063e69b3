"""Reads the statements under ``sql/`` and fills in their table names.

Every statement the pipeline runs lives in a file under ``sql/``. A file may
name tables through ``{{ placeholder }}`` (per-run staging tables, checked
tables, or a list of tables to lock); values are never formatted in: they travel
as bind parameters. A file under ``sql/<dialect>/`` replaces the file of the same
path for that engine only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path

import sqlglot
from sqlalchemy.engine import Dialect
from sqlglot import exp

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
#: sqlglot's name for each engine's SQL, to read which tables a statement touches.
_SQLGLOT_DIALECTS = {"duckdb": "duckdb", "postgresql": "postgres", "redshift": "redshift"}
#: A bind parameter in a file; sqlglot reads it as a placeholder.
_BIND = re.compile(r"(?<![:\w]):([a-z_]+)\b")
#: Identifiers that come from parameters or run ids must look like this before being quoted.
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class SqlTemplateError(ValueError):
    """A statement names a placeholder nobody filled, or an identifier is unsafe."""


def check_identifier(name: str) -> str:
    """Refuse any identifier that is not a plain lower-case SQL name."""
    if not IDENTIFIER.fullmatch(name):
        raise SqlTemplateError(f"unsafe SQL identifier {name!r}: expected {IDENTIFIER.pattern}")
    return name


@cache
def read(path: str, dialect: str) -> str:
    """The text of ``sql/<path>.sql``, or of its ``sql/<dialect>/`` override."""
    for candidate in (SQL_DIR / dialect / f"{path}.sql", SQL_DIR / f"{path}.sql"):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise FileNotFoundError(f"no SQL file sql/{path}.sql (nor sql/{dialect}/{path}.sql)")


def script(folder: str, dialect: str, missing_ok: bool = False) -> list[str]:
    """The statement paths of ``sql/<folder>/``, in file-name order, overrides included.

    ``missing_ok`` is for a folder only some engines need (``sql/<dialect>/<folder>/`` alone).
    """
    names = {
        file.stem
        for base in (SQL_DIR / folder, SQL_DIR / dialect / folder)
        if base.is_dir()
        for file in base.glob("*.sql")
    }
    if not names and not missing_ok:
        raise FileNotFoundError(f"no SQL files under sql/{folder}/")
    return [f"{folder}/{name}" for name in sorted(names)]


Identifiers = Mapping[str, str | Sequence[str]]


def render(path: str, dialect: Dialect, identifiers: Identifiers | None = None) -> str:
    """The statement with every ``{{ name }}`` replaced by a validated, quoted identifier (or a list of them)."""
    identifiers = identifiers or {}
    quote = dialect.identifier_preparer.quote

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in identifiers:
            raise SqlTemplateError(f"sql/{path}.sql needs a table for {{{{ {key} }}}}")
        names = identifiers[key]
        return ", ".join(quote(check_identifier(name)) for name in ([names] if isinstance(names, str) else names))

    return _PLACEHOLDER.sub(fill, read(path, dialect.name)).strip().rstrip(";")


@cache
def _tables_in(text: str, dialect: str) -> frozenset[str]:
    parsed = sqlglot.parse_one(_BIND.sub("(NULL)", text), read=_SQLGLOT_DIALECTS.get(dialect, dialect))
    return frozenset(table.name for table in parsed.find_all(exp.Table))


def tables_of(statements: Iterable[tuple[str, Identifiers]], dialect: Dialect) -> set[str]:
    """The tables the rendered statements read or write (common table expressions' names among them)."""
    return set().union(*(_tables_in(render(path, dialect, names), dialect.name) for path, names in statements))
