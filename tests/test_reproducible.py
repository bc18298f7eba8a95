"""The same manuscript and SOURCE_DATE_EPOCH give byte-identical editions: print PDF, screen
PDF, EPUB and every file of the web edition (WeasyPrint's random XMP DocumentID is fixed by
the PDF writer)."""

from __future__ import annotations

import shutil

from anthology.commands.build import build

from conftest import MANUSCRIPTS


def contents(key: str, path) -> bytes | dict:
    """An edition's bytes; the web edition's, every file of its folder."""
    if key != "web":
        return path.read_bytes()
    return {p.relative_to(path.parent): p.read_bytes() for p in sorted(path.parent.rglob("*")) if p.is_file()}


def test_every_edition_is_byte_identical_under_source_date_epoch(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = build(MANUSCRIPTS / "varied", tmp_path / "a").outputs
    second = build(MANUSCRIPTS / "varied", tmp_path / "b").outputs
    assert set(first) == {"pdf", "pdf:screen", "epub", "web"}
    for key, path in first.items():
        assert contents(key, path) == contents(key, second[key]), key
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000001")
    third = build(MANUSCRIPTS / "varied", tmp_path / "c").outputs
    assert all(contents(key, third[key]) != contents(key, path) for key, path in first.items())


def test_a_rebuild_after_an_edit_gives_the_bytes_of_a_clean_build(tmp_path, monkeypatch):
    """Whatever came from the cache and in whatever order the workers finished; the edit
    changes a title, which the display pages list too (their credits)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    work = tmp_path / "ms"
    shutil.copytree(MANUSCRIPTS / "varied", work)
    build(work, tmp_path / "warm", ("pdf",))
    essay = work / "essays" / "memory.md"
    essay.write_text(essay.read_text().replace("Exile and the Very", "Exile and a Very", 1))
    warm = build(work, tmp_path / "warm", ("pdf",)).outputs["pdf"]
    clean = build(work, tmp_path / "clean", ("pdf",)).outputs["pdf"]
    assert warm.read_bytes() == clean.read_bytes()
