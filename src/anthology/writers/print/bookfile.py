"""The book's PDF file, written object by object as its chunks come, never held whole.

Streams go to the file as they come; other objects are packed a hundred to a compressed
object stream; a cross-reference stream ends the file. What stays in memory is where each
object is: a few bytes an object, whatever the length of the book.

A classic file (PDF/X-1a, which is PDF 1.3 or 1.4 and allows neither object streams nor
cross-reference streams) writes every object as it comes and ends with a cross-reference
table and a trailer dictionary.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zlib
from array import array
from pathlib import Path

PACK = 100  # objects to an object stream, as QPDF packs them


class BookFile:
    def __init__(self, classic: bool = False):
        self.classic = classic
        self.file = tempfile.TemporaryFile()
        self.kinds = bytearray(b"\0")  # cross-reference entry type by object number (0: free)
        self.where = array("Q", [0])  # its offset, or the object stream that holds it
        self.index = array("L", [65535])  # its place in that object stream
        self.packed: list[tuple[int, bytes]] = []
        self.file.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")  # the version is set when the file is finished

    def reserve(self) -> int:
        """A number for an object to be written later (objects may refer to it before)."""
        self.kinds.append(0)
        self.where.append(0)
        self.index.append(0)
        return len(self.kinds) - 1

    def add(self, number: int, text: bytes) -> None:
        if self.classic:
            self.kinds[number] = 1
            self.where[number] = self.file.tell()
            self.file.write(b"%d 0 obj\n%s\nendobj\n" % (number, text))
            return
        self.packed.append((number, text))
        if len(self.packed) == PACK:
            self._pack()

    def add_stream(self, number: int, dictionary: bytes, data: bytes) -> None:
        """A stream: its dictionary (`<< … >>`, without /Length) and its data as they are."""
        self.kinds[number] = 1
        self.where[number] = self.file.tell()
        self.file.write(b"%d 0 obj\n%s /Length %d >>\nstream\n" % (number, dictionary[:-2].rstrip(), len(data)))
        self.file.write(data)
        self.file.write(b"\nendstream\nendobj\n")

    def _pack(self) -> None:
        if not self.packed:
            return
        number = self.reserve()
        offsets, offset = [], 0
        for i, (n, text) in enumerate(self.packed):
            self.kinds[n], self.where[n], self.index[n] = 2, number, i
            offsets.append(b"%d %d" % (n, offset))
            offset += len(text) + 1
        head = b" ".join(offsets) + b"\n"
        data = zlib.compress(head + b"\n".join(text for _, text in self.packed))
        self.packed = []
        self.add_stream(number, b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode >>"
                        % (len(offsets), len(head)), data)

    def finish(self, root: int, info: int, version: str) -> None:
        """The cross-reference stream and trailer; the /ID is a digest of the file, so that
        the same book gives the same bytes."""
        self._pack()
        unwritten = [n for n in range(1, len(self.kinds)) if not self.kinds[n]]
        if unwritten:
            raise RuntimeError(f"objects numbered but never written: {unwritten[:5]}")
        self.file.seek(0)
        self.file.write(b"%%PDF-%s" % (version if self.classic else max(version or "1.5", "1.5")).encode())
        self.file.seek(0)
        digest = hashlib.md5(usedforsecurity=False)
        while block := self.file.read(1 << 20):
            digest.update(block)
        ident = digest.hexdigest().encode()
        if self.classic:
            self._table(root, info, ident)
            return
        number = self.reserve()
        start = self.file.tell()
        self.kinds[number], self.where[number] = 1, start
        width = max(1, (max(max(self.where), start).bit_length() + 7) // 8)
        columns = 3 + width
        rows, previous = [], bytes(columns)
        for kind, where, index in zip(self.kinds, self.where, self.index):
            row = bytes([kind]) + where.to_bytes(width, "big") + index.to_bytes(2, "big")
            rows.append(b"\2" + bytes((a - b) & 0xFF for a, b in zip(row, previous)))  # PNG "up": compresses well
            previous = row
        data = zlib.compress(b"".join(rows))
        self.file.write(b"%d 0 obj\n<< /Type /XRef /Size %d /W [ 1 %d 2 ] /Root %d 0 R /Info %d 0 R "
                        b"/ID [ <%s> <%s> ] /Filter /FlateDecode /DecodeParms << /Columns %d /Predictor 12 >> "
                        b"/Length %d >>\nstream\n"
                        % (number, len(self.kinds), width, root, info, ident, ident, columns, len(data)))
        self.file.write(data)
        self.file.write(b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % start)

    def _table(self, root: int, info: int, ident: bytes) -> None:
        """A cross-reference table (20-byte entries) and the trailer."""
        start = self.file.tell()
        self.file.write(b"xref\n0 %d\n" % len(self.kinds))
        self.file.write(b"0000000000 65535 f\r\n")
        self.file.write(b"".join(b"%010d 00000 n\r\n" % where for where in self.where[1:]))
        self.file.write(b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [ <%s> <%s> ] >>\n"
                        b"startxref\n%d\n%%%%EOF\n" % (len(self.kinds), root, info, ident, ident, start))

    def save(self, path: Path) -> None:
        self.file.seek(0)
        with open(path, "wb") as out:
            shutil.copyfileobj(self.file, out, 1 << 20)

    def close(self) -> None:
        self.file.close()
