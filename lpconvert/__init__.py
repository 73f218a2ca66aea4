"""lpconvert: convert Open edX learning content between formats through one validated model.

    import lpconvert
    result = lpconvert.read("library.zip")          # ReadResult(package, problems, format)
    lpconvert.write(result.package, "library.json")  # WriteResult(problems, written)
    lpconvert.convert("course.tar.gz", "library.zip")
    lpconvert.validate("library.zip").valid

Names are imported lazily so that `lpconvert --help` and `lpconvert formats` answer fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "read": "lpconvert.api",
    "write": "lpconvert.api",
    "convert": "lpconvert.api",
    "validate": "lpconvert.api",
    "detect_format": "lpconvert.api",
    "ReadResult": "lpconvert.api",
    "WriteResult": "lpconvert.api",
    "ConvertResult": "lpconvert.api",
    "ValidationResult": "lpconvert.api",
    "LpconvertError": "lpconvert.api",
    "Package": "lpconvert.package",
    "RawPackage": "lpconvert.package",
    "Problem": "lpconvert.problems",
    "Severity": "lpconvert.problems",
    "CompletePackageInput": "lpconvert.model",
    "FormatSpec": "lpconvert.formats",
    "Limits": "lpconvert.storage.limits",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lpconvert' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
