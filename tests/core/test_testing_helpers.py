"""lpconvert.testing: the round-trip and contract helpers plugin authors test their formats with.

The helpers are only worth having if they catch what a broken plugin does, so most tests
here build a small "toy" plugin in the test (a JSON file in a folder) and break it on
purpose: a writer that changes a title, one that silently drops collections, a plugin
written for another API version.
"""

from __future__ import annotations

import json
import sys
import types
from importlib import metadata
from typing import Any

import pytest

import lpconvert
from lpconvert.api import LpconvertError, get_format
from lpconvert.formats import FormatSpec
from lpconvert.hookspecs import hookimpl
from lpconvert.model import BinaryMedia, TextMedia
from lpconvert.package import Package, RawPackage
from lpconvert.testing import (
    assert_plugin_contract,
    assert_roundtrip,
    check_plugin,
    comparable,
    differences,
    roundtrip,
    sample_model,
    sample_package,
    use_plugins,
)
from lpconvert.testing.sample import TRICKY_TITLE
from helpers.paths import ROOT

pytest_plugins = ["pytester"]


# --------------------------------------------------------------------------- a toy plugin


def _toy_module(name: str = "toy", *, mangle: Any = None, cannot_hold: frozenset[str] = frozenset(),
                api: int = 1) -> types.ModuleType:
    """A plugin module for format `name`: the package as one JSON file, optionally `mangle`d on write."""
    module = types.ModuleType(f"toy_plugin_{name}")

    def write(package: Package, sink: Any, options: Any) -> list[Any]:
        data = package.model.model_dump(mode="json", exclude_none=True)
        if mangle is not None:
            mangle(data)
        sink.write_bytes("toy.json", json.dumps(data).encode("utf-8"))
        return []

    def read(source: Any, options: Any) -> RawPackage:
        return RawPackage(json.loads(source.read_text("toy.json")))

    def probe(source: Any) -> bool:
        return bool(source.exists("toy.json"))

    @hookimpl
    def lpconvert_formats() -> list[FormatSpec]:
        return [FormatSpec(name=name, description="toy test format", probe=probe, reader=read, writer=write,
                           cannot_hold=cannot_hold)]

    module.LPCONVERT_API = api  # type: ignore[attr-defined]
    module.lpconvert_formats = lpconvert_formats  # type: ignore[attr-defined]
    return module


def _retitle_subsection(data: dict[str, Any]) -> None:
    for entity in data["entities"]:
        if entity["key"] == "basics":
            entity["versions"][0]["title"] = "Cafe & quotes"


def _drop_collections(data: dict[str, Any]) -> None:
    data["collections"] = []


# --------------------------------------------------------------------------- round trips


def test_sample_package_survives_the_lp_archive_round_trip(tmp_path):
    with sample_package() as package:
        assert_roundtrip(package, "lp-archive", tmp_path)
        with roundtrip(package, "lp-archive", tmp_path / "again") as trip:
            assert trip.detected == "lp-archive"
            back = trip.package.entity("basics")
            assert back is not None and back.current_version is not None
            assert back.current_version.title == TRICKY_TITLE


def test_an_honest_toy_plugin_passes(tmp_path):
    with use_plugins(_toy_module()), sample_package() as package:
        assert_roundtrip(package, "toy", tmp_path)


def test_a_changed_title_is_reported_with_where_it_is(tmp_path):
    with use_plugins(_toy_module(mangle=_retitle_subsection)), sample_package() as package, \
            pytest.raises(AssertionError) as caught:
        assert_roundtrip(package, "toy", tmp_path)
    message = str(caught.value)
    assert "entities.basics.versions.1.title" in message
    assert "Cafe & quotes" in message


def test_an_undeclared_loss_fails_and_a_declared_one_passes(tmp_path):
    with use_plugins(_toy_module("lossy", mangle=_drop_collections)), sample_package() as package, \
            pytest.raises(AssertionError, match=r"collections\.favourites: missing"):
        assert_roundtrip(package, "lossy", tmp_path / "a")
    declared = _toy_module("honest-lossy", mangle=_drop_collections, cannot_hold=frozenset({"collections"}))
    with use_plugins(declared), sample_package() as package:
        assert_roundtrip(package, "honest-lossy", tmp_path / "b")


def test_a_probe_that_misses_its_own_output_is_reported(tmp_path):
    module = _toy_module("blind")
    specs = module.lpconvert_formats()
    blind = FormatSpec(name="blind", description="x", probe=lambda s: False, reader=specs[0].reader,
                       writer=specs[0].writer)
    module.lpconvert_formats = hookimpl(lambda: [blind])  # type: ignore[attr-defined]
    with use_plugins(module), sample_package() as package:
        with pytest.raises(AssertionError, match="probe does not recognise"):
            assert_roundtrip(package, "blind", tmp_path)
        assert_roundtrip(package, "blind", tmp_path / "unchecked", check_probe=False)


def test_use_plugins_puts_the_previous_formats_back():
    with use_plugins(_toy_module("ephemeral")):
        assert get_format("ephemeral").name == "ephemeral"
    with pytest.raises(LpconvertError):
        get_format("ephemeral")
    assert "lp-archive" in lpconvert.api.format_names()


def test_use_plugins_refuses_a_plugin_the_plugin_manager_would_refuse():
    with pytest.raises(AssertionError, match="plugin API 2"), use_plugins(_toy_module("future", api=2)):
        pass


# --------------------------------------------------------------------------- comparing


def test_media_is_compared_by_bytes_not_by_how_it_is_carried():
    model = sample_model()
    text_form = Package(model)
    entities = []
    for entity in model.entities:
        versions = []
        for version in entity.versions:
            media = {path: BinaryMedia(base64=__import__("base64").b64encode(m.text.encode()).decode())
                     if isinstance(m, TextMedia) else m for path, m in version.media.items()}
            versions.append(version.model_copy(update={"media": media}))
        entities.append(entity.model_copy(update={"versions": versions}))
    binary_form = Package(model.model_copy(update={"entities": entities}))
    assert differences(comparable(text_form), comparable(binary_form)) == []


def test_a_changed_image_byte_is_a_difference():
    model = sample_model()
    entities = []
    for entity in model.entities:
        versions = [v.model_copy(update={"media": {**v.media, "static/logo.png": BinaryMedia(base64="AAAA")}})
                    if "static/logo.png" in v.media else v for v in entity.versions]
        entities.append(entity.model_copy(update={"versions": versions}))
    changed = Package(model.model_copy(update={"entities": entities}))
    found = differences(comparable(Package(model)), comparable(changed))
    assert found and all("static/logo.png" in line for line in found)


def test_values_the_original_leaves_empty_may_be_filled_in():
    model = sample_model()
    bare = model.model_copy(update={"learning_package": model.learning_package.model_copy(update={"created": None})})
    assert differences(comparable(Package(bare)), comparable(Package(model))) == []
    assert differences(comparable(Package(model)), comparable(Package(bare))) != []


# --------------------------------------------------------------------------- the contract


def test_the_built_in_plugin_keeps_the_contract():
    import lpconvert_lp_archive.plugin

    assert check_plugin(lpconvert_lp_archive.plugin) == []


def test_every_contract_violation_is_listed_at_once():
    module = types.ModuleType("broken_plugin")
    module.LPCONVERT_API = 1  # type: ignore[attr-defined]
    module.lpconvert_formats = hookimpl(lambda: [  # type: ignore[attr-defined]
        FormatSpec(name="My Format", description="", writer="no_such_module_xyz:write", suffixes=("zip",),
                   cannot_hold=frozenset({"everything"})),
    ])
    with pytest.raises(AssertionError) as caught:
        assert_plugin_contract(module)
    message = str(caught.value)
    for expected in ("lowercase", "description", "no_such_module_xyz", "'zip' must start with a dot",
                     "unknown loss kind(s) everything"):
        assert expected in message


def test_a_plugin_for_another_api_version_is_told_so():
    assert check_plugin(_toy_module(api=2)) == [
        "toy_plugin_toy: written for plugin API 2, this lpconvert provides 1"]


def test_a_hook_without_hookimpl_is_caught():
    module = _toy_module()
    module.lpconvert_formats = list  # type: ignore[attr-defined]
    assert any("hookimpl" in line for line in check_plugin(module))


# --------------------------------------------------------------------------- the pytest plugin


def _plugin_args() -> list[str]:
    """`-p` the plugin only when its pytest11 entry point is not installed (a stale editable install)."""
    installed = any(ep.value == "lpconvert.testing.pytest_plugin" for ep in metadata.entry_points(group="pytest11"))
    return [] if installed else ["-p", "lpconvert.testing.pytest_plugin"]


def test_the_fixtures_work_in_a_plugin_authors_project(pytester):
    pytester.makepyfile(
        """
        import json
        from lpconvert.formats import FormatSpec
        from lpconvert.hookspecs import hookimpl
        from lpconvert.package import RawPackage

        LPCONVERT_API = 1

        def write(package, sink, options):
            data = package.model.model_dump(mode="json", exclude_none=True)
            data["learning_package"]["title"] += " (edited)"
            sink.write_bytes("p.json", json.dumps(data).encode())
            return []

        def read(source, options):
            return RawPackage(json.loads(source.read_text("p.json")))

        @hookimpl
        def lpconvert_formats():
            return [FormatSpec(name="edits", description="changes the title", probe=lambda s: s.exists("p.json"),
                               reader=read, writer=write)]

        def test_sample_is_a_package(lpconvert_sample):
            assert lpconvert_sample.model.learning_package.title == "Sample library"

        def test_builtin_round_trip(lpconvert_sample, lpconvert_roundtrip):
            lpconvert_roundtrip(lpconvert_sample, "lp-archive")

        def test_my_format(lpconvert_sample, lpconvert_use_plugins, lpconvert_roundtrip):
            import sys
            lpconvert_use_plugins(sys.modules[__name__])
            lpconvert_roundtrip(lpconvert_sample, "edits")
        """
    )
    result = pytester.runpytest_subprocess(*_plugin_args(), "-q")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*learning_package.title: expected 'Sample library', found 'Sample library (edited)'*"])


def test_the_pytest_plugin_imports_nothing_heavy():
    import subprocess

    code = ("import sys, lpconvert.testing.pytest_plugin; "
            "print(sorted(m for m in ('pydantic', 'lxml', 'fsspec', 'lpconvert.api') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- the guide's example


def _guide_files() -> dict[str, str]:
    """The code blocks of docs/plugins.md that start with ``# file: PATH``."""
    import re
    from pathlib import Path

    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    files = {}
    for block in re.findall(r"```python\n(.*?)```", text, re.DOTALL):
        first, _, rest = block.partition("\n")
        if first.startswith("# file: "):
            files[first[len("# file: "):].strip()] = rest
    return files


@pytest.fixture
def guide_plugin(tmp_path, monkeypatch):
    files = _guide_files()
    assert {"lpconvert_jsonl/plugin.py", "lpconvert_jsonl/reader.py", "lpconvert_jsonl/writer.py",
            "tests/test_jsonl.py"} <= set(files)
    src = tmp_path / "src"
    for path, code in files.items():
        target = (src if path.startswith("lpconvert_jsonl/") else tmp_path) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding="utf-8")
    (src / "lpconvert_jsonl" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(src))
    import importlib

    yield importlib.import_module("lpconvert_jsonl.plugin")
    for name in [m for m in sys.modules if m.startswith("lpconvert_jsonl")]:
        del sys.modules[name]


def test_the_guides_example_plugin_keeps_its_promises(guide_plugin, tmp_path):
    assert_plugin_contract(guide_plugin)
    with use_plugins(guide_plugin), sample_package() as package:
        assert_roundtrip(package, "jsonl", tmp_path / "trip")
        out = tmp_path / "library.jsonl"
        assert lpconvert.write(package, str(out)).format == "jsonl"  # the suffix picks the format
        lines = out.read_text(encoding="utf-8").splitlines()
        lines[2] = lines[2][:-5]
        bad = tmp_path / "bad.jsonl"
        bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = lpconvert.validate(str(bad))
    assert result.format == "jsonl" and not result.valid
    assert [(p.code, p.line) for p in result.problems if p.is_error][:1] == [("json-syntax", 3)]


def test_the_guides_example_test_file_passes(guide_plugin, pytester):
    pytester.makepyfile(test_jsonl=_guide_files()["tests/test_jsonl.py"])
    src = guide_plugin.__file__.rsplit("/lpconvert_jsonl/", 1)[0]
    result = pytester.runpytest_subprocess(*_plugin_args(), "-q", "-p", "no:cacheprovider",
                                           "--rootdir", str(pytester.path), "-o", f"pythonpath={src}")
    result.assert_outcomes(passed=3)


# --------------------------------------------------------------------------- damage


def test_the_built_in_reader_survives_damage(tmp_path):
    from lpconvert.testing import assert_survives_damage

    written = tmp_path / "count"
    with sample_package() as package:
        assert lpconvert.write(package, str(written), "lp-archive").ok
    files = [p for p in written.rglob("*") if p.is_file()]
    assert assert_survives_damage("lp-archive", tmp_path / "trial") == 3 * len(files)


def test_a_reader_that_raises_on_bad_json_is_caught(tmp_path):
    from lpconvert.testing import assert_survives_damage

    with use_plugins(_toy_module("naive")), pytest.raises(AssertionError) as caught:
        assert_survives_damage("naive", tmp_path)
    assert "naive reader raised on toy.json emptied" in str(caught.value)
    assert "JSONDecodeError" in str(caught.value)


def _changed(**meta_fields: Any) -> Any:
    """The sample package with some of its meta replaced (a format's imagined output)."""
    from lpconvert.package import Package
    from lpconvert.testing.sample import sample_data

    data = sample_data()
    data["meta"].update(meta_fields)
    return Package(lpconvert.CompletePackageInput.model_validate(data))


def test_strict_comparison_catches_what_the_lenient_one_lets_a_format_do() -> None:
    from lpconvert.testing import assert_same_content, sample_package
    from lpconvert.testing.sample import sample_data

    assert sample_data()["meta"].get("origin_server") is None  # the premise: a field left empty
    with sample_package() as original:
        filled_in = _changed(origin_server="studio.example.com")
        assert_same_content(original, filled_in, strict=False)  # a format may fill in a default
        with pytest.raises(AssertionError, match="meta.origin_server: expected None"):
            assert_same_content(original, filled_in)
        assert_same_content(original, _changed())  # the same content passes strictly
        assert_same_content(original, filled_in, lost=["meta"])  # a declared loss is stripped


def test_a_loss_kind_is_one_object_for_the_loss_check_and_the_comparison() -> None:
    from lpconvert.formats import CORE_LOSS_KINDS
    from lpconvert.losses import find_losses
    from lpconvert.testing import comparable, sample_package

    with sample_package() as package:
        for name, kind in CORE_LOSS_KINDS.items():
            assert kind.load_detector() is not None and kind.load_strip() is not None, name
        assert [p.field for p in find_losses(package, ["collections"], "x")] == ["collections"]
        assert "collections" in comparable(package) and "collections" not in comparable(package, ["collections"])
