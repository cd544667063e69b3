"""The benchmark's figures, judged against the issue's targets, as text, Markdown and JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Figure:
    """One reported number; ``passed`` is None for a figure without a target."""

    key: str
    label: str
    value: float | None
    unit: str
    fmt: str = ",.2f"
    target: str = ""
    passed: bool | None = None
    note: str = ""

    @property
    def status(self) -> str:
        if self.value is None:
            return "n/a"
        if self.passed is None:
            return "info"
        return "PASS" if self.passed else "FAIL"

    def shown(self) -> str:
        if self.value is None:
            return "n/a"
        return f"{self.value:{self.fmt}}{' ' + self.unit if self.unit else ''}"


def judged(value: float | None, threshold: float, kind: str) -> bool | None:
    """``kind`` is one of <=, <, >=: how ``value`` must compare with ``threshold``."""
    if value is None:
        return None
    return {"<=": value <= threshold, "<": value < threshold, ">=": value >= threshold}[kind]


@dataclass
class Report:
    machine: dict[str, Any]
    parameters: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)

    @property
    def verdict(self) -> str:
        judged_figures = [figure for figure in self.figures if figure.passed is not None]
        met = sum(1 for figure in judged_figures if figure.passed)
        return f"{met} of {len(judged_figures)} targets met"

    def text(self) -> str:
        width = max(len(figure.label) for figure in self.figures)
        value_width = max(len(figure.shown()) for figure in self.figures)
        target_width = max(len(figure.target) for figure in self.figures)
        lines = [
            f"{figure.label:<{width}}  {figure.shown():>{value_width}}  "
            f"{('target ' + figure.target) if figure.target else '':<{target_width + 7}}  {figure.status}"
            for figure in self.figures
        ]
        return "\n".join([*lines, self.verdict])

    def to_json(self) -> dict[str, Any]:
        return {
            "machine": self.machine,
            "parameters": self.parameters,
            "verdict": self.verdict,
            "figures": {figure.key: {**asdict(figure), "status": figure.status} for figure in self.figures},
            "tables": self.tables,
            "details": self.details,
            "notes": self.notes,
        }

    def markdown(self) -> str:
        machine = self.machine
        lines = [
            "# Sparkify benchmark: latest results",
            "",
            f"Run {machine.get('date', '?')} with `{self.parameters.get('command', 'python -m bench.run')}`. "
            f"**{self.verdict}.** How each figure is measured: [bench/README.md](../README.md).",
            "",
            "## Figures",
            "",
            "| Figure | Value | Target | Status |",
            "|---|---:|---|---|",
        ]
        lines += [
            f"| {figure.label} | {figure.shown()} | {figure.target} | {figure.status} |" for figure in self.figures
        ]
        notes = [f"- **{figure.label}**: {figure.note}" for figure in self.figures if figure.note]
        if notes:
            lines += ["", *notes]
        lines += ["", "## Machine", "", "| | |", "|---|---|"]
        lines += [f"| {key} | {_cell(value)} |" for key, value in machine.items()]
        lines += ["", "## Parameters", "", "| | |", "|---|---|"]
        lines += [f"| {key} | {_cell(value)} |" for key, value in self.parameters.items()]
        for title, rows in self.tables.items():
            if not rows:
                continue
            columns = list(rows[0])
            lines += ["", f"## {title}", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
            lines += ["| " + " | ".join(_cell(row.get(column)) for column in columns) + " |" for row in rows]
        if self.notes:
            lines += ["", "## Notes", "", *[f"- {note}" for note in self.notes]]
        return "\n".join(lines) + "\n"

    def write(self, folder: Path) -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        markdown, data = folder / "latest.md", folder / "latest.json"
        markdown.write_text(self.markdown(), encoding="utf-8")
        data.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n", encoding="utf-8")
        return markdown, data


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}"
    if isinstance(value, dict):
        return ", ".join(f"{key} {val}" for key, val in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_cell(item) for item in value)
    return str(value).replace("|", "\\|")
