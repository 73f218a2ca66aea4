"""The stable plugin API: everything a format plugin needs, from one module.

    from lpconvert.plugin import FormatSpec, FormatOption, hookimpl

    LPCONVERT_API = 1          # the PLUGIN_API_VERSION this plugin was written for

A plugin imports nothing else from lpconvert (the built-in formats are held to it by
tests/core/test_plugin_surface.py). Every name here is guarded by `PLUGIN_API_VERSION`: one is
only added within a version, and removing or changing one means a new version, which
refuses plugins written for the old one at load time with a message instead of an
ImportError in the middle of a conversion. Everything else in lpconvert may change.

Names are imported on first use, so a plugin's registration module can import
`FormatSpec` and `hookimpl` from here without importing pydantic, lxml or fsspec: listing
formats and ``--help`` stay fast.
"""

from __future__ import annotations

from typing import Any

from .formats import PLUGIN_API_VERSION as PLUGIN_API_VERSION

_EXPORTS: dict[str, tuple[str, str]] = {
    # declaring a format
    "hookimpl": ("lpconvert.hookspecs", "hookimpl"),
    "FormatSpec": ("lpconvert.formats", "FormatSpec"),
    "FormatOption": ("lpconvert.formats", "FormatOption"),
    "ProblemCode": ("lpconvert.formats", "ProblemCode"),
    "LossKind": ("lpconvert.formats", "LossKind"),
    "ReadOptions": ("lpconvert.formats", "ReadOptions"),
    "WriteOptions": ("lpconvert.formats", "WriteOptions"),
    # the hub model
    "CompletePackageInput": ("lpconvert.model", "CompletePackageInput"),
    "LearningPackage": ("lpconvert.model", "LearningPackage"),
    "Meta": ("lpconvert.model", "Meta"),
    "Entity": ("lpconvert.model", "Entity"),
    "EntityVersion": ("lpconvert.model", "EntityVersion"),
    "Collection": ("lpconvert.model", "Collection"),
    "PackageRoot": ("lpconvert.model", "PackageRoot"),
    "MediaFile": ("lpconvert.model", "MediaFile"),
    "ResourceMedia": ("lpconvert.model", "ResourceMedia"),
    "TextMedia": ("lpconvert.model", "TextMedia"),
    "BinaryMedia": ("lpconvert.model", "BinaryMedia"),
    "CONTAINER_TYPES": ("lpconvert.model", "CONTAINER_TYPES"),
    # what a reader returns and a writer is given
    "RawPackage": ("lpconvert.package", "RawPackage"),
    "Package": ("lpconvert.package", "Package"),
    "Origin": ("lpconvert.package", "Origin"),
    "Locator": ("lpconvert.package", "Locator"),
    "Loc": ("lpconvert.package", "Loc"),
    "dotted": ("lpconvert.package", "dotted"),
    # storage views
    "Source": ("lpconvert.storage", "Source"),
    "SourceError": ("lpconvert.storage", "SourceError"),
    "Sink": ("lpconvert.storage", "Sink"),
    "TreeSink": ("lpconvert.storage", "TreeSink"),
    "FileSink": ("lpconvert.storage", "FileSink"),
    "Limits": ("lpconvert.storage.limits", "Limits"),
    # problems
    "Problem": ("lpconvert.problems", "Problem"),
    "Severity": ("lpconvert.problems", "Severity"),
    "error": ("lpconvert.problems", "error"),
    "warning": ("lpconvert.problems", "warning"),
    "loss_examples": ("lpconvert.losses", "examples"),
    "model_parts": ("lpconvert.losses", "model_parts"),
    "media_digest": ("lpconvert.versions", "media_digest"),
    # progress
    "Progress": ("lpconvert.progress", "Progress"),
    "NullProgress": ("lpconvert.progress", "NullProgress"),
    # a plugin's own subcommands (`register_commands`)
    "CommandError": ("lpconvert.hookspecs", "CommandError"),
    "convert": ("lpconvert.api", "convert"),
    "LpconvertError": ("lpconvert.api", "LpconvertError"),
    # hostile-input helpers
    "parse_xml": ("lpconvert.xmlsafe", "parse_xml"),
    "XmlError": ("lpconvert.xmlsafe", "XmlError"),
    "too_deep": ("lpconvert.nesting", "too_deep"),
    "toml_key_too_deep": ("lpconvert.nesting", "toml_key_too_deep"),
    # writing and locating TOML
    "toml_string": ("lpconvert.tomltext", "basic_string"),
    "toml_key": ("lpconvert.tomltext", "key"),
    "toml_value": ("lpconvert.tomltext", "value"),
    "toml_field_lines": ("lpconvert.tomltext", "field_lines"),
    "toml_nearest_line": ("lpconvert.tomltext", "nearest_line"),
    # the model's shared vocabulary
    "OLX_TAG": ("lpconvert.vocabulary", "OLX_TAG"),
    "is_xml_name": ("lpconvert.vocabulary", "is_xml_name"),
    # /static/ references in OLX and HTML
    "StaticRef": ("lpconvert.staticrefs", "StaticRef"),
    "static_references": ("lpconvert.staticrefs", "static_references"),
    "scans_links": ("lpconvert.staticrefs", "scans_links"),
}

__all__ = sorted([*_EXPORTS, "PLUGIN_API_VERSION"])


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'lpconvert.plugin' has no attribute {name!r} (the plugin API is "
                             f"{', '.join(__all__)})")
    import importlib

    value = getattr(importlib.import_module(target[0]), target[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
