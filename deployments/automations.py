"""``python -m deployments.automations``: create or update, by name, the automations of deployments/automations.yaml.

The file is the one declaration; this command applies it to the Prefect server
``PREFECT_API_URL`` names, filling in what a static file cannot know:

- an action's ``block_document_id: <block-type>/<block-name>`` (``webhook/sparkify-alerts``)
  becomes that block's id on this server (``python -m deployments.blocks`` saves the block);
- the missed-run alert's ``within`` becomes SPARKIFY_ALERT_MISSED_RUN_MINUTES minutes.

An automation of the same name is updated in place, so the command is run again after
editing the file or changing the setting; a second automation of that name (left by
``prefect automation create``, which adds a copy each time) is deleted. Automations the
file does not name are left alone. ``prefect automation create --from-file`` cannot apply
this file: it takes block ids only.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import yaml
from prefect import get_client
from prefect.events.schemas.automations import AutomationCore
from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError
from pydantic import ValidationError

from sparkify.settings import Settings, SettingsError, get_settings

AUTOMATIONS_YAML = Path(__file__).resolve().with_name("automations.yaml")
#: The automation whose period SPARKIFY_ALERT_MISSED_RUN_MINUTES sets.
MISSED_RUN_ALERT = "sparkify-etl-hourly-alert-no-completed-run"

BlockReference = tuple[str, str]  # (block type slug, block name)


class AutomationFileError(ValueError):
    """The file, or what it refers to on the server, cannot be applied as it stands."""


@dataclass(frozen=True)
class Applied:
    """What happened to one automation: created, updated or unchanged (and copies deleted)."""

    name: str
    id: UUID
    verb: str
    copies_deleted: int = 0

    def __str__(self) -> str:
        extra = f", {self.copies_deleted} copies of the same name deleted" if self.copies_deleted else ""
        return f"{self.verb} {self.name} ({self.id}){extra}"


def load(path: Path = AUTOMATIONS_YAML) -> list[dict[str, Any]]:
    """The automations the file declares, as written."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise AutomationFileError(f"{path}: {error}") from None
    specs = document.get("automations") if isinstance(document, dict) else None
    if not isinstance(specs, list) or not all(isinstance(spec, dict) and spec.get("name") for spec in specs):
        raise AutomationFileError(f"{path}: expected `automations:`, a list of automations, each with a name")
    names = [spec["name"] for spec in specs]
    if len(set(names)) != len(names):
        raise AutomationFileError(f"{path}: two automations share a name; names are how they are updated")
    return specs


def _reference(value: Any) -> BlockReference | None:
    """``webhook/sparkify-alerts`` as (slug, name); None for an id, which is kept as written."""
    if not isinstance(value, str):
        return None
    try:
        UUID(value)
    except ValueError:
        slug, _, name = value.partition("/")
        if not slug or not name:
            raise AutomationFileError(
                f"block_document_id {value!r}: expected a block id or <block-type>/<block-name>"
            ) from None
        return slug, name
    return None


def block_references(specs: Iterable[Mapping[str, Any]]) -> set[BlockReference]:
    """Every block the actions name by type and name."""
    found = set()
    for spec in specs:
        for action in spec.get("actions") or []:
            if (reference := _reference(action.get("block_document_id"))) is not None:
                found.add(reference)
    return found


def resolve(
    specs: Iterable[Mapping[str, Any]], block_ids: Mapping[BlockReference, UUID], configured: Settings
) -> list[AutomationCore]:
    """The automations as the server takes them: blocks by id, the missed-run period from the settings."""
    automations = []
    for spec in specs:
        spec = {**spec, "actions": [dict(action) for action in spec.get("actions") or []]}
        for action in spec["actions"]:
            if (reference := _reference(action.get("block_document_id"))) is not None:
                action["block_document_id"] = block_ids[reference]
        if spec["name"] == MISSED_RUN_ALERT:
            spec["trigger"] = {**spec["trigger"], "within": round(configured.alert_missed_run_minutes * 60, 3)}
        try:
            automations.append(AutomationCore.model_validate(spec))
        except ValidationError as error:
            raise AutomationFileError(f"automation {spec['name']!r}: {error}") from None
    if MISSED_RUN_ALERT not in {automation.name for automation in automations}:
        raise AutomationFileError(f"no automation {MISSED_RUN_ALERT!r} for SPARKIFY_ALERT_MISSED_RUN_MINUTES to set")
    return automations


def _same(existing: AutomationCore, wanted: AutomationCore) -> bool:
    # Python objects, not JSON: a trigger's `expect` and `after` are sets, whose JSON order varies by process
    fields = set(AutomationCore.model_fields)
    return existing.model_dump(include=fields) == wanted.model_dump(include=fields)


def apply(automations: Iterable[AutomationCore], client: Any) -> list[Applied]:
    """Creates each automation, or updates the one of its name in place (a sync Prefect client)."""
    applied = []
    for automation in automations:
        existing = client.read_automations_by_name(automation.name)  # the last updated first
        if not existing:
            applied.append(Applied(automation.name, client.create_automation(automation), "created"))
            continue
        kept, *copies = existing
        for copy in copies:
            client.delete_automation(copy.id)
        if _same(kept, automation):
            applied.append(Applied(automation.name, kept.id, "unchanged", len(copies)))
        else:
            client.update_automation(kept.id, automation)
            applied.append(Applied(automation.name, kept.id, "updated", len(copies)))
    return applied


def block_ids(references: Iterable[BlockReference], read: Callable[[str, str], Any]) -> dict[BlockReference, UUID]:
    """Each named block's id on the server; a missing one says how to save it."""
    ids = {}
    for slug, name in sorted(references):
        try:
            ids[slug, name] = read(name, slug).id
        except ObjectNotFound:
            hint = " (save it: SPARKIFY_ALERT_WEBHOOK_URL=… python -m deployments.blocks)" if slug == "webhook" else ""
            raise AutomationFileError(f"the server has no {slug} block named {name!r}{hint}") from None
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deployments.automations",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--file", type=Path, default=AUTOMATIONS_YAML, help="automations file (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        configured = get_settings()
        specs = load(args.file)
        with get_client(sync_client=True) as client:
            ids = block_ids(block_references(specs), client.read_block_document_by_name)
            applied = apply(resolve(specs, ids, configured), client)
    except (ValueError, SettingsError) as error:  # the settings' errors and the file's: one line, no traceback
        print(f"deployments.automations: {error}", file=sys.stderr)
        return 2
    except (httpx.HTTPError, PrefectHTTPStatusError) as error:
        print(f"deployments.automations: the Prefect API refused or did not answer: {error}", file=sys.stderr)
        return 1
    for automation in applied:
        print(automation)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
