"""``make lint``'s SQL half: sqlfluff with the project's ``.sqlfluff`` (the shared files as PostgreSQL, each engine's
folder in its own dialect) passes on sql/ and fails on a file that breaks a configured rule."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: The Makefile's sqlfluff command, run with the venv's sqlfluff.
LINT = re.search(r"\$\(BIN\)/sqlfluff (lint .*)", (REPO / "Makefile").read_text())[1].split()
SQLFLUFF = Path(sys.executable).with_name("sqlfluff")

#: A file breaking one configured rule each, and the rule sqlfluff must name.
BROKEN = {
    "sql/load/lower_case_keyword.sql": ("select song_id FROM songs;\n", "CP01"),
    "sql/load/trailing_whitespace.sql": ("SELECT song_id \nFROM songs;\n", "LT01"),
    "sql/load/implicit_table_alias.sql": ("SELECT catalog.song_id FROM songs catalog;\n", "AL01"),
    "sql/load/implicit_column_alias.sql": ("SELECT song_id id FROM songs;\n", "AL02"),
    "sql/load/select_star.sql": ("SELECT * FROM songs;\n", "AM04"),
    "sql/load/equals_null.sql": ("SELECT song_id FROM songs WHERE title = NULL;\n", "CV05"),
    "sql/load/unparsable.sql": ("SELECT song_id FROM WHERE;\n", "PRS"),
    # IDENTITY is reserved on Redshift alone: its folder is linted in its grammar, the shared one is not
    "sql/redshift/ledger/reserved_word.sql": ("SELECT MAX(identity) AS newest FROM loaded_objects;\n", "PRS"),
    "sql/duckdb/ledger/reserved_word.sql": ("SELECT MAX(identity) AS newest FROM loaded_objects;\n", None),
}


@pytest.mark.slow
def test_sqlfluff_passes_on_sql_and_fails_on_a_file_that_breaks_a_configured_rule(tmp_path: Path) -> None:
    shutil.copy(REPO / ".sqlfluff", tmp_path)
    shutil.copytree(REPO / "sql", tmp_path / "sql")
    for path, (text, _) in BROKEN.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")

    done = subprocess.run(
        [str(SQLFLUFF), *LINT, "--format", "json"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )

    assert done.returncode == 1, done.stderr
    flagged = {
        linted["filepath"]: {violation["code"] for violation in linted["violations"]}
        for linted in json.loads(done.stdout)
        if linted["violations"]
    }
    # the files of sql/ pass; each broken one fails on its rule alone
    assert flagged == {path: {code} for path, (_, code) in BROKEN.items() if code}


def test_every_insert_names_its_columns() -> None:
    """An INSERT without a column list breaks when a table gains a column (sqlfluff has no rule for it)."""
    unnamed = []
    for path in sorted((REPO / "sql").rglob("*.sql")):
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        for table, after in re.findall(r"\bINSERT\s+INTO\s+(\{\{\s*\w+\s*\}\}|[\w.]+)\s*(\S)", text):
            if after != "(":
                unnamed.append(f"{path.relative_to(REPO)}: {table}")
    assert unnamed == []
