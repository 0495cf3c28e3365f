"""Validation of the workflow configuration against its JSON Schema, with defaults filled in."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema import Draft202012Validator, validators


class ConfigError(ValueError):
    """A configuration value is unknown, of the wrong type or out of range."""


def _with_defaults(validator_class: type) -> type:
    """A validator that fills each missing property with a copy of its schema default."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties: dict, instance: Any, schema: dict) -> Iterator:
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema and name not in instance:
                    instance[name] = copy.deepcopy(subschema["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(validator_class, {"properties": set_defaults})


_DefaultingValidator = _with_defaults(Draft202012Validator)


def load_schema(path: str | Path) -> dict:
    """Read a JSON Schema written in YAML."""
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _key(path: Any) -> str:
    return ".".join(str(part) for part in path) or "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    key = _key(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        prefix = f"{key}." if error.absolute_path else ""
        return f"config key '{prefix}{unknown[0]}' is not a known setting (known here: {', '.join(allowed)})"
    return f"config key '{key}': {error.message}"


def validate_config(config: dict, schema: dict) -> dict:
    """Return `config` completed with the schema's defaults; raise ConfigError naming the first bad key."""
    completed = copy.deepcopy(config)
    errors = sorted(_DefaultingValidator(schema).iter_errors(completed), key=lambda e: _key(e.absolute_path))
    if errors:
        raise ConfigError(_describe(errors[0]))
    return completed
