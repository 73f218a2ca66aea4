"""lpconvert-html: a write-only `html` format that renders a learning package as a static site.

lpconvert finds this package only through its entry point (``lpconvert_html.plugin``); nothing
here is imported until someone writes the `html` format.
"""

__version__ = "0.1.0"
