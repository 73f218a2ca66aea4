"""Shared test helpers, imported one way from every test folder: ``from helpers.<module> import ...``.

(pyproject.toml puts tests/ on pytest's ``pythonpath``.) Fixtures live in tests/conftest.py;
plain functions and constants live here, one module per job:
``paths`` (repository, fixtures, corpora), ``cli`` (run lpconvert as a user does),
``archives`` (archives built in memory), ``packages`` (hub-model packages for round trips),
``oracle`` (upstream openedx-core's restore, persistent for the session), ``venv`` (a throwaway
venv with one plugin distribution pip-installed), ``imscc`` (the imscc plugin registered for a
test, and an independent count of what a cartridge should become).
"""
