"""A deterministic generator of realistic anthologies, for tests and the benchmark.

The same seed gives the same manuscript: parts of essays of varied length with epigraphs,
attributed block quotations, footnotes (some inside quotations), section breaks and verse.
"""

from __future__ import annotations

import random
from pathlib import Path

WORDS = ("the of and to in a is that for it as was with be by on not he this are or his from at which but "
         "have an they you were her she there been one all we their has would when if so no what will more "
         "about up out them can who some into time only its could also two like other than then first any "
         "these may new now people way work even because most after made many over such where years must "
         "through back much before should well world state being life power history class party workers "
         "movement organization revolution society labour struggle freedom authority question theory practice "
         "experience comrades ideas leadership democracy capital production socialism memory language exile "
         "translation border river city winter letter archive silence harvest factory railway newspaper").split()
NAMES = ("Ada Lindqvist", "Bilal Haddad", "Chiara Rossi", "Dmitri Sokolov", "Eun-ji Park", "Farah Nasser",
         "Gabriel Oliveira", "Hana Kobayashi", "Ifeoma Okafor", "José Álvarez", "Katarzyna Nowak", "Liang Wei",
         "Mariam Tesfaye", "Nikolai Петров", "Olga Ivanova", "Pablo Ruiz", "Rania Saleh", "Søren Madsen",
         "Tomás Ó Briain", "Ulla Berg", "Vera Zasulich", "Wen Li", "Yusuf Demir", "Zofia Kowalczyk")
WORKS = (("Leon Trotsky", "History of the Russian Revolution"), ("Alan Woods", "Marx versus Bakunin"),
         ("Rosa Luxemburg", "Reform or Revolution"), ("Karl Marx", "Capital"), ("Friedrich Engels", "Anti-Dühring"),
         ("V. I. Lenin", "State and Revolution"), ("Antonio Gramsci", "Prison Notebooks"),
         ("Anna Akhmatova", "Requiem"), ("Bertolt Brecht", "Poems 1913–1956"), ("Peter Kropotkin", "The Conquest of Bread"))


class Writer:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def words(self, n: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(n))

    def sentence(self) -> str:
        text = self.words(self.rng.randint(6, 22))
        return text[0].upper() + text[1:] + self.rng.choice([".", ".", ".", "?", ";"]).replace(";", ".")

    def paragraph(self, sentences: tuple[int, int] = (3, 8)) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(*sentences)))

    def title(self) -> str:
        return self.words(self.rng.randint(2, 7)).title()

    def quote(self, epigraph: bool = False) -> str:
        author, work = self.rng.choice(WORKS)
        text = self.paragraph((1, 2 if epigraph else 4))
        return f"> {text}\n>\n> — {author}, *{work}*\n"

    def verse(self) -> str:
        stanzas = []
        for _ in range(self.rng.randint(1, 3)):
            stanzas.append("\n".join(self.sentence().rstrip(".?") for _ in range(self.rng.randint(2, 5))))
        return "::: verse\n" + "\n\n".join(stanzas) + "\n:::\n"

    def essay(self, words: int, note_prefix: str, notes: float = 0.15, note_sentences: tuple[int, int] = (1, 2)) -> str:
        blocks, written_notes = [], []
        for _ in range(self.rng.randint(0, 2)):
            blocks.append(self.quote(epigraph=True))
        written = 0
        while written < words:
            roll = self.rng.random()
            if roll < 0.06 and written:
                blocks.append(f"## {self.title()}\n")
            elif roll < 0.10 and written:
                blocks.append("* * *\n")
            elif roll < 0.16 and written:
                blocks.append(f"As {self.rng.choice(WORKS)[0]} argued:\n")
                blocks.append(self.quote())
            elif roll < 0.18 and written:
                blocks.append(self.verse())
            else:
                para = self.paragraph()
                if self.rng.random() < notes:
                    n = len(written_notes) + 1
                    para = para.rstrip(".") + f".[^{note_prefix}{n}]"
                    written_notes.append(f"[^{note_prefix}{n}]: {self.paragraph(note_sentences)}")
                blocks.append(para + "\n")
                written += len(para.split())
        return "\n".join(blocks) + ("\n" + "\n".join(written_notes) + "\n" if written_notes else "")


def generate(root: Path, pieces: int = 20, parts: int = 4, seed: int = 1, words: tuple[int, int] = (800, 4000),
             notes: float = 0.15, note_sentences: tuple[int, int] = (1, 2)) -> Path:
    """Write a manuscript of `pieces` essays in `parts` parts under `root`; return `root`.
    `notes` is the share of paragraphs that call a note, of `note_sentences` sentences (long
    notes run over to the next page in print)."""
    w = Writer(seed)
    root = Path(root)
    (root / "essays").mkdir(parents=True, exist_ok=True)
    (root / "introduction.md").write_text(
        "---\ntitle: Introduction\nauthor: The Editors\n---\n\n" + "\n\n".join(w.paragraph() for _ in range(4)) + "\n",
        encoding="utf-8")
    contents = ["  - introduction.md"]
    per_part = max(1, -(-pieces // max(parts, 1)))
    for p in range(max(parts, 1)):
        chunk = range(p * per_part, min(pieces, (p + 1) * per_part))
        if not chunk:
            break
        contents.append(f"  - part: \"Part {p + 1}: {w.title()}\"\n    pieces:")
        for i in chunk:
            name = f"essays/essay-{i + 1:04d}.md"
            author = w.rng.choice(NAMES)
            front = f"---\ntitle: \"{w.title()}\"\nauthor: {author}\nseries: A generated series, number {i + 1}\n---\n\n"
            body = w.essay(w.rng.randint(*words), f"n{i + 1}-", notes, note_sentences)
            (root / name).write_text(front + body, encoding="utf-8")
            contents.append(f"      - {name}")
    config = (f"title: A Generated Anthology of {pieces} Essays\nlanguage: en\neditors: [Test Editor]\n"
              "publisher: Generator Press\nseries: A generated series\n"
              "description: A generated anthology for tests and benchmarks.\ncontents:\n" + "\n".join(contents) + "\n")
    (root / "anthology.yml").write_text(config, encoding="utf-8")
    return root
