"""The settings: one typed, validated place, read when needed, documented as they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.cli import main
from sparkify.settings import SettingsError, get_settings, settings_table
from sparkify.warehouse import WarehouseConfigError, connect, error_budget

README = Path(__file__).resolve().parents[1] / "README.md"


def test_a_setting_is_read_when_needed_not_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_settings().copy_max_error == 100
    monkeypatch.setenv("SPARKIFY_COPY_MAX_ERROR", "7")
    monkeypatch.setenv("SPARKIFY_COPY_REGION", "")  # a blank variable is an unset one
    configured = get_settings()
    assert (configured.copy_max_error, configured.copy_region) == (7, None)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SPARKIFY_TASK_RETRIES", "-1", "SPARKIFY_TASK_RETRIES: Input should be greater than or equal to 0"),
        ("SPARKIFY_COPY_MAX_ERROR", "-5", "SPARKIFY_COPY_MAX_ERROR: Input should be greater than or equal to 0"),
        ("SPARKIFY_RETRY_DELAY_SECONDS", "soon", "SPARKIFY_RETRY_DELAY_SECONDS: Input should be a valid number"),
        ("SPARKIFY_WAREHOUSE_DRIVER", "oracle", "SPARKIFY_WAREHOUSE_DRIVER: Input should be 'duckdb'"),
    ],
)
def test_a_bad_value_is_a_clear_error_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=message):
        get_settings()
    assert main(["plan"]) == 2  # the command line stops before doing anything
    assert message in capsys.readouterr().err


def test_a_bad_setting_never_shows_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARKIFY_WAREHOUSE_PASSWORD", "Pw-Never-Shown-42")
    monkeypatch.setenv("SPARKIFY_WAREHOUSE_PORT", "Pw-Never-Shown-42")
    with pytest.raises(SettingsError) as failure:
        get_settings()
    assert "SPARKIFY_WAREHOUSE_PORT" in str(failure.value)
    assert "Pw-Never-Shown-42" not in str(failure.value)


def test_the_error_budget_is_the_runs_else_the_blocks_else_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARKIFY_COPY_MAX_ERROR", "9")
    assert (error_budget(None), error_budget(None, 4), error_budget(2, 4), error_budget(0, 4)) == (9, 4, 2, 0)
    for wrong in (-1, 100_000):
        with pytest.raises(WarehouseConfigError, match=f"must be from 0 to 99,999 .*not {wrong}"):
            error_budget(wrong)
    assert connect("duckdb:///unused.duckdb", max_errors=3).max_errors == 3


def test_the_readme_lists_every_setting_as_the_code_describes_it() -> None:
    assert settings_table() in README.read_text()
