"""The learning-package backup archive (openedx-core's lp_dump / lp_load), format_version 1.

A built-in lpconvert format plugin. It uses only lpconvert's public plugin API and is
registered through the ``lpconvert`` entry-point group like any third-party plugin.
See docs/formats/lp-archive.md.
"""
