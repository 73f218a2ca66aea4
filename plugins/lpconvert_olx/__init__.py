"""Studio's OLX exports (course and v1 library), read into and written from the hub.

A built-in lpconvert format plugin that uses only the public plugin API and is registered
through the ``lpconvert`` entry-point group like any third-party plugin.
See docs/formats/olx.md for the mapping both ways and what is and is not preserved.
"""
