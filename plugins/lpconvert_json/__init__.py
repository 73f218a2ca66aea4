"""One JSON document holding a whole learning package: the hub model as JSON.

A built-in lpconvert format plugin, registered through the ``lpconvert`` entry-point group
like any third-party plugin. See docs/formats/json.md.
"""
