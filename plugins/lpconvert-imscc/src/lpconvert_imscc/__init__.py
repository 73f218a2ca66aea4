"""IMS Common Cartridge for lpconvert: read a cartridge into the hub model, write CC 1.3 from it.

A separate distribution that lpconvert finds only through its `lpconvert` entry point, built on
the public plugin API like lpconvert-html.
"""
