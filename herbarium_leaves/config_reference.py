"""The configuration reference (docs/configuration.md), written from the config's JSON Schema.

Run `python -m herbarium_leaves.config_reference > docs/configuration.md` after changing
`schemas/config.schema.yaml`; `tests/test_docs.py` fails while the two differ.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from herbarium_leaves.config import load_schema

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"

_HEAD = """# Configuration reference

Every key the workflow accepts, with its type, allowed values and default. Generated from
`schemas/config.schema.yaml` by `python -m herbarium_leaves.config_reference`; do not edit by
hand (`tests/test_docs.py` checks that the two agree). A config is `config.yaml` (the demo)
plus any files given with `--configfile`, later files overriding earlier ones key by key;
unknown keys, wrong types and values out of range stop the run before any job starts.
"""


def _type_text(schema: dict) -> str:
    """The allowed type(s) and values of one key, in words."""
    if "enum" in schema:
        return "one of " + ", ".join(f"`{json.dumps(value)}`" for value in schema["enum"])
    if "anyOf" in schema:
        return " or ".join(_type_text(option) for option in schema["anyOf"])
    kind = schema.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    text = " or ".join(kinds)
    if "array" in kinds and "items" in schema:
        text += f" of ({_type_text(schema['items'])})"
    bounds = []
    for word, sign in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
        if word in schema:
            bounds.append(f"{sign} {schema[word]}")
    if bounds:
        text += ", " + ", ".join(bounds)
    return text


def _default_text(schema: dict) -> str:
    if "default" not in schema or schema.get("type") == "object":
        return ""
    return f"`{json.dumps(schema['default'])}`"


def _rows(properties: dict, prefix: str) -> list[str]:
    rows = []
    for name, schema in properties.items():
        key = f"{prefix}{name}"
        if schema.get("type") == "object" and "properties" in schema:
            continue
        description = " ".join(schema.get("description", "").split()).replace("|", "\\|")
        rows.append(f"| `{key}` | {_type_text(schema)} | {_default_text(schema)} | {description} |")
    return rows


def _sections(properties: dict, prefix: str, level: int) -> list[str]:
    lines = []
    rows = _rows(properties, prefix)
    if rows:
        lines += ["| key | type | default | meaning |", "|---|---|---|---|", *rows, ""]
    for name, schema in properties.items():
        if schema.get("type") == "object" and "properties" in schema:
            key = f"{prefix}{name}"
            description = " ".join(schema.get("description", "").split())
            lines += [f"{'#' * level} `{key}`", "", description, ""]
            lines += _sections(schema["properties"], f"{key}.", min(level + 1, 4))
    return lines


def config_reference(schema: dict) -> str:
    """The Markdown reference of every key in `schema`: one table per section."""
    lines = [_HEAD, "## Top-level keys", "", *_sections(schema["properties"], "", 2)]
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    sys.stdout.write(config_reference(load_schema(SCHEMA)))
