"""`anthology stats`: words and pages per piece and part, as the printed book has them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from anthology.cli import main
from anthology.generator import generate
from conftest import pdf_text_pages


@pytest.mark.slow
def test_pages_per_piece_match_the_printed_pdf(tmp_path):
    root = generate(tmp_path / "ms", pieces=4, parts=2, seed=3, words=(300, 2500))
    result = CliRunner().invoke(main, ["stats", str(root), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["build", str(root), "--out", str(out), "--format", "pdf", "-q"]).exit_code == 0
    pdf = out / "a-generated-anthology-of-4-essays.pdf"
    assert data["pages"] == len(PdfReader(pdf).pages)
    text = pdf_text_pages(pdf)
    pieces = data["pieces"]
    assert [p["path"] for p in pieces] == ["introduction.md"] + [f"essays/essay-000{i}.md" for i in range(1, 5)]
    for piece in pieces:
        opening = " ".join(text[piece["first_page"] - 1].split())
        assert piece["title"] in opening, piece
        assert piece["pages"] >= 1
    parts = data["parts"]
    assert [p["title"] for p in parts] == [p["part"] for p in pieces if p["part"]][::2]
    assert sum(p["pages"] for p in parts) + data["front_pages"] + pieces[0]["pages"] == data["laid_out_pages"]
    assert all(part["words"] == sum(p["words"] for p in pieces if p["part"] == part["title"]) for part in parts)
    assert data["words"] == sum(p["words"] for p in pieces)
    longest = max(pieces, key=lambda p: p["words"])
    shortest = min(pieces, key=lambda p: p["words"])
    assert longest["pages"] > shortest["pages"]
    assert data["spine"]["in"] == round(data["pages"] * 0.002252, 4)


def test_stats_table(tmp_path, minimal):
    result = CliRunner().invoke(main, ["stats", str(minimal)])
    assert result.exit_code == 0, result.output
    assert "One" in result.output and "Essays" in result.output
    assert "spine: 0.0" in result.output and "pages on white paper" in result.output


def test_stats_of_a_broken_manuscript(make_manuscript):
    root = make_manuscript({"anthology.yml": "title: T\nlanguage: en\ncontents: [missing.md]\n"})
    result = CliRunner().invoke(main, ["stats", str(root)])
    assert result.exit_code == 2 and "'missing.md' does not exist" in result.output
