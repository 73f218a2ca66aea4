"""The library API as Open edX code calls it: read, write, convert, validate."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pydantic
import pytest
from helpers.paths import FIXTURES

import lpconvert
from lpconvert.model import CompletePackageInput, json_schema
from lpconvert.progress import BarProgress, NullProgress, for_terminal

SMALL = FIXTURES / "lp-archive" / "small-library"


def test_read_returns_the_package_and_its_problems() -> None:
    with lpconvert.read(str(SMALL)) as result:
        assert result.ok and result.format == "lp-archive"
        assert result.problems == []
        pkg = result.package
        assert pkg.learning_package.title == "Small Library"
        unit = pkg.entity("first-steps")
        assert unit.current_version.children == ["xblock.v1:html:intro", "xblock.v1:problem:quiz1"]


def test_read_of_a_bad_package_returns_none_and_every_problem(tmp_path: Path) -> None:
    src = tmp_path / "lib"
    shutil.copytree(SMALL, src)
    (src / "entities" / "week-1.toml").write_text("not toml at all = = =")
    quiz = src / "entities" / "xblock.v1" / "problem" / "quiz1.toml"
    quiz.write_text(quiz.read_text().replace("version_num = 1\n\n[entity.published]", "version_num = 7\n\n"
                                             "[entity.published]"))
    result = lpconvert.read(str(src))
    assert result.package is None
    codes = {(p.code, p.file) for p in result.problems}
    assert ("toml-syntax", "entities/week-1.toml") in codes
    assert ("missing-version", "entities/xblock.v1/problem/quiz1.toml") in codes


def test_validate_and_convert(tmp_path: Path) -> None:
    assert lpconvert.validate(str(SMALL)).valid
    assert not lpconvert.validate(str(tmp_path / "missing")).valid
    out = tmp_path / "lib.zip"
    result = lpconvert.convert(str(SMALL), str(out))
    assert result.ok and result.write.bytes_written > 0
    assert lpconvert.validate(str(out)).valid


def test_models_are_frozen_and_keep_unknown_fields() -> None:
    model = CompletePackageInput.model_validate(
        {"learning_package": {"key": "k", "title": "T", "flavour": "vanilla"}, "entities": [], "x_tool": {"a": 1}})
    assert model.learning_package.model_extra == {"flavour": "vanilla"}
    assert model.model_extra == {"x_tool": {"a": 1}}
    with pytest.raises(pydantic.ValidationError, match=r"title\n  Instance is frozen") as frozen:
        model.learning_package.title = "changed"  # type: ignore[misc]
    assert [(e["type"], e["loc"]) for e in frozen.value.errors()] == [("frozen_instance", ("title",))]
    assert model.learning_package.title == "T"


def test_schema_describes_media_encodings_explicitly() -> None:
    schema = json_schema()
    defs = schema["$defs"]
    assert set(defs["TextMedia"]["properties"]) == {"text"}
    assert set(defs["BinaryMedia"]["properties"]) == {"base64"}
    assert defs["Entity"]["properties"]["container_type"]["anyOf"][0]["enum"] == ["section", "subsection", "unit"]


def test_progress_bar_only_on_a_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(for_terminal(io.StringIO()), NullProgress)
    stream = Tty()
    bar = for_terminal(stream)
    assert isinstance(bar, BarProgress)
    bar.start(4, "reading")
    for _ in range(4):
        bar.advance()
    bar.finish()
    text = stream.getvalue()
    assert "reading [" in text and "4/4" in text
    assert text.endswith("\r\x1b[2K")  # the line is cleared when done


def test_progress_is_reported_by_the_reader(tmp_path: Path) -> None:
    seen: list[tuple[str, int | None]] = []

    class Recorder(NullProgress):
        def start(self, total: int | None, label: str) -> None:
            seen.append((label, total))

    with lpconvert.read(str(SMALL), progress=Recorder()) as result:
        assert result.ok
    assert seen and seen[0][1] == 7  # six entity files and one collection file
