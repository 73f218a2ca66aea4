"""An authoring layout: one TOML file per section, one folder per component.

A built-in lpconvert format plugin, registered through the ``lpconvert`` entry-point group
like any third-party plugin. See docs/formats/sections.md.
"""
