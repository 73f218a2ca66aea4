"""Synthetic learning packages of any size, for the benchmarks.

Why a generator of our own rather than upstream's (`oracle.py make`): upstream needs
minutes and a database for 10,000 components and hours for 100,000; the benchmarks need
1K, 10K and 100K packages in every format, regenerated at will, byte for byte the same
each time (a fixed seed, fixed timestamps), so that two runs time the same work.

The package is built as the hub model (`CompletePackageInput`, media inline as
`TextMedia`/`BinaryMedia`) and written with `lpconvert.api.write` as an lp-archive; the
runner converts that archive into every other format with the CLI. It holds what real
libraries hold:

* mixed component types (html with static images, problem, video, discussion), some with
  a static file in a sub-folder and some with a non-static media file beside block.xml;
* containers: units of 4 components, subsections of 3 units, sections of 3 subsections;
* collections (one per 100 components, up to 50 members each);
* drafts ahead of published (every 5th component, every 7th unit), and never-published
  components (every 50th), as an author's library has.

Memory: the model for 100,000 components is built with `model_construct` (the benchmark
times lpconvert's validation, not the generator's), and media bytes are small, so the
generator stays within a few hundred MB at 100K.

    python benchmarks/generate.py 10000 benchmarks/data/10000/lp-archive.zip
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

KINDS = ("html", "problem", "video", "html", "problem", "discussion", "html", "video", "problem", "html")
"""Component types by position: 40% html, 30% problem, 20% video, 10% discussion."""

EPOCH = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _png(i: int, size: int) -> bytes:
    """Deterministic, poorly compressible bytes standing in for an image."""
    out = b""
    block = str(i).encode()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return b"\x89PNG\r\n\x1a\n" + out[: size - 8]


def _block_xml(kind: str, i: int, edited: bool) -> tuple[str, dict[str, bytes | str]]:
    """block.xml text and the other media of component i (path -> bytes or text)."""
    tag = "edited " if edited else ""
    media: dict[str, bytes | str] = {}
    if kind == "html":
        extra = ""
        if i % 20 == 0:
            extra = f' <a href="/static/handouts/notes{i}.txt">notes</a>'
            media[f"static/handouts/notes{i}.txt"] = f"Notes for component {i}\n" * 20
        xml = (f'<html display_name="{tag}Text {i}"><![CDATA[<p>Paragraph {i} of the library, '
               f'with an image <img src="/static/img{i}.png" alt="figure {i}"/>{extra}</p>'
               f'<p>{"Lorem ipsum dolor sit amet. " * (1 + i % 8)}</p>]]></html>')
        media[f"static/img{i}.png"] = _png(i, 512 + (i % 7) * 512)
    elif kind == "problem":
        xml = (f'<problem display_name="{tag}Question {i}" max_attempts="{1 + i % 3}">'
               f'<multiplechoiceresponse><label>Which is right for {i}?</label><choicegroup type="MultipleChoice">'
               f'<choice correct="true">Answer A{i}</choice><choice correct="false">Answer B</choice>'
               f'<choice correct="false">Answer C</choice></choicegroup></multiplechoiceresponse></problem>')
    elif kind == "video":
        xml = (f'<video display_name="{tag}Video {i}" youtube_id_1_0="yt{i:08d}" '
               f'edx_video_id="" download_video="false"/>')
    else:
        xml = f'<discussion display_name="{tag}Discussion {i}" discussion_category="Week {i % 12}"/>'
        if i % 3 == 0:
            media["transcript.txt"] = f"A non-static media file of component {i}\n"
    return xml, media


def _media_models(xml: str, media: dict[str, bytes | str]):  # type: ignore[no-untyped-def]
    from lpconvert.model import BinaryMedia, TextMedia

    out: dict[str, TextMedia | BinaryMedia] = {"block.xml": TextMedia.model_construct(text=xml)}
    for path, value in media.items():
        if isinstance(value, bytes):
            out[path] = BinaryMedia.model_construct(base64=base64.b64encode(value).decode("ascii"))
        else:
            out[path] = TextMedia.model_construct(text=value)
    return out


def component_key(i: int) -> str:
    return f"xblock.v1:{KINDS[i % len(KINDS)]}:c{i:06d}"


def build_model(n: int):  # type: ignore[no-untyped-def]
    """The hub model of a library with `n` components (and its containers and collections)."""
    from lpconvert.model import (
        Collection,
        CompletePackageInput,
        Entity,
        EntityVersion,
        LearningPackage,
        Meta,
    )

    def version(num: int, title: str, created: datetime, **kw):  # type: ignore[no-untyped-def]
        fields: dict[str, Any] = {"version_num": num, "title": title, "created": created, "children": None,
                  "media": {}, "attributes": {}}
        fields.update(kw)
        return EntityVersion.model_construct(**fields)

    def entity(key: str, versions, draft, published, container_type=None, stand_alone=True):  # type: ignore[no-untyped-def]
        return Entity.model_construct(key=key, container_type=container_type, can_stand_alone=stand_alone,
                                      created=EPOCH, draft_version=draft, published_version=published,
                                      versions=versions)

    entities = []
    keys = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        key = component_key(i)
        keys.append(key)
        t = EPOCH + timedelta(seconds=i)
        xml, media = _block_xml(kind, i, edited=False)
        v1 = version(1, f"{kind} {i}", t, media=_media_models(xml, media))
        if i % 50 == 49:  # never published
            entities.append(entity(key, [v1], 1, None))
        elif i % 5 == 0:  # a draft ahead of published
            xml2, media2 = _block_xml(kind, i, edited=True)
            v2 = version(2, f"edited {kind} {i}", t + timedelta(days=1), media=_media_models(xml2, media2))
            entities.append(entity(key, [v1, v2], 2, 1))
        else:
            entities.append(entity(key, [v1], 1, 1))

    def containers(kind: str, prefix: str, children: list[str], per: int, title: str) -> list[str]:
        made = []
        for j, start in enumerate(range(0, len(children), per)):
            key = f"{prefix}-{j}"
            kids = children[start:start + per]
            v1 = version(1, f"{title} {j}", EPOCH, children=kids)
            if kind == "unit" and j % 7 == 3 and len(kids) > 1:
                v2 = version(2, f"{title} {j} (reordered)", EPOCH + timedelta(days=2),
                             children=list(reversed(kids)))
                entities.append(entity(key, [v1, v2], 2, 1, kind, stand_alone=True))
            else:
                entities.append(entity(key, [v1], 1, 1, kind, stand_alone=kind == "section"))
            made.append(key)
        return made

    units = containers("unit", "unit", keys, 4, "Unit")
    subsections = containers("subsection", "subsection", units, 3, "Subsection")
    containers("section", "section", subsections, 3, "Section")

    collections = []
    stride = max(1, n // 100)
    for k in range(max(1, n // 100)):
        members = keys[k::stride][:50]
        collections.append(Collection.model_construct(key=f"col-{k}", title=f"Collection {k}",
                                                      description=f"Benchmark collection {k}", created=EPOCH,
                                                      entities=members))
    lp = LearningPackage.model_construct(key=f"lib:Bench:Synth{n}", title=f"Synthetic library of {n}",
                                         description="Generated by benchmarks/generate.py", created=EPOCH,
                                         updated=EPOCH)
    meta = Meta.model_construct(format_version=1, created_by="bench", created_by_email="bench@example.com",
                                created_at=EPOCH, origin_server="bench.test")
    return CompletePackageInput.model_construct(meta=meta, learning_package=lp, entities=entities,
                                                collections=collections, root=None, files={})


def generate(n: int, out: str, force: bool = False) -> dict[str, float]:
    """Write the lp-archive of `n` components to `out`; returns how long each step took."""
    from lpconvert.api import write
    from lpconvert.package import Package

    t0 = time.perf_counter()
    model = build_model(n)
    t1 = time.perf_counter()
    result = write(Package(model), out, "lp-archive", force=force)
    t2 = time.perf_counter()
    if not result.written:
        raise SystemExit(f"generate: could not write {out}: " + "; ".join(p.message for p in result.problems))
    return {"build_seconds": t1 - t0, "write_seconds": t2 - t1, "bytes": float(os.path.getsize(out))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("components", type=int, help="how many components")
    parser.add_argument("out", help="the lp-archive to write (.zip)")
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")
    args = parser.parse_args(argv)
    figures = generate(args.components, args.out, args.force)
    print(f"{args.out}: {figures['bytes'] / 1e6:.1f} MB; built in {figures['build_seconds']:.1f} s, "
          f"written in {figures['write_seconds']:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
