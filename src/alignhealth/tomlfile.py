"""Read a TOML file into a pydantic model, with errors that name the key and the fix."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from alignhealth.errors import UsageError, did_you_mean

M = TypeVar("M", bound=BaseModel)


def read_toml(path: Path) -> dict[str, Any]:
    """Parse ``path``; a missing file or a syntax error is a :class:`UsageError`."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not valid TOML: the file is not UTF-8 text") from None


def _allowed_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys a model accepts at ``loc`` (the parent of an unknown key)."""
    current: Any = model
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = next(
            (f for n, f in current.model_fields.items() if part in (n, f.alias)),
            None,
        )
        if field is None:
            return []
        current = field.annotation
        # Unwrap Optional[Model] and list[Model] to the model inside.
        for arg in getattr(current, "__args__", ()) or ():
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                current = arg
                break
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def describe_validation_error(
    exc: ValidationError, model: type[BaseModel], source: str, prefix: str = ""
) -> str:
    """One line per problem: ``source: key 'rules.selec': not allowed (did you mean ...)``."""
    lines = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        key = ".".join(str(p) for p in (prefix, *loc) if p != "")
        if error["type"] == "extra_forbidden":
            hint = did_you_mean(str(loc[-1]), _allowed_keys(model, loc[:-1]))
            lines.append(f"{source}: unknown key {key!r}{hint}")
        else:
            value = error.get("input")
            shown = f" (found {value!r})" if not isinstance(value, dict | list) else ""
            lines.append(f"{source}: {key!r}: {error['msg']}{shown}")
    return "\n".join(lines)


def validate(model: type[M], data: dict[str, Any], source: str, prefix: str = "") -> M:
    """Validate ``data`` against ``model``; problems become one :class:`UsageError`."""
    try:
        # Files are written kebab-case; accepting python_names too would be two ways.
        return model.model_validate(data, by_name=False)
    except ValidationError as exc:
        raise UsageError(describe_validation_error(exc, model, source, prefix)) from None


def load_model(model: type[M], path: Path) -> M:
    """Read and validate a whole TOML file."""
    return validate(model, read_toml(path), str(path))
