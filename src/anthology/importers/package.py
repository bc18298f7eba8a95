"""Where an EPUB's files come from: a zipped `.epub`, or a folder of Standard Ebooks-style source.

Both give the same `Package`: the path of the package document (`content.opf`) and a reader
of the files beside it, by their path inside the publication. Nothing is extracted to disk,
and a path that leads outside the publication (`../`, an absolute path) is refused, so a
hostile EPUB cannot name a file of this machine.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from html.entities import name2codepoint
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

from lxml import etree

from ..errors import AnthologyError

CONTAINER_NS = {"c": "urn:oasis:names:tc:opendocument:xmlns:container"}
MAX_MEMBER = 64 * 1024 * 1024  # a file in an EPUB: more is not a book's text or image


class PackageError(AnthologyError):
    """The publication cannot be read; the message names the file (and line)."""


@dataclass
class Package:
    name: str  # the file or folder, for messages
    opf: str  # path of the package document inside the publication
    read_member: Callable[[str], bytes]

    def read(self, path: str) -> bytes:
        """A file of the publication by its normalised path; PackageError when it is missing."""
        return self.read_member(path)

    def where(self, path: str) -> str:
        return f"{self.name}/{path}" if not self.name.endswith(".epub") else f"{self.name}!{path}"


def inside(base: str, href: str) -> str | None:
    """`href` resolved against the file `base`, or None when it leads outside the publication."""
    href = href.split("#", 1)[0]
    if not href or "://" in href or href.startswith("/"):
        return None
    path = posixpath.normpath(posixpath.join(posixpath.dirname(base), unquote(href)))
    return None if path.startswith("../") or path == ".." else path


HTML_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]*);")
XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}


def _html_entities(data: bytes) -> bytes:
    """EPUB 2 documents name HTML's entities (`&nbsp;`) through a DTD that is never read here:
    write them as the characters they stand for."""
    def char(m: re.Match) -> bytes:
        name = m.group(1)
        code = name2codepoint.get(name.decode("ascii"))
        return m.group(0) if name in XML_ENTITIES or code is None else f"&#{code};".encode("ascii")
    return HTML_ENTITY.sub(char, data)


def parse_xml(data: bytes, where: str) -> etree._Element:
    """Parse XML without fetching anything (no DTD, no external entities, no network)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(_html_entities(data), parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else 0)
        raise PackageError(f"{where}:{line}: not well-formed XML: {exc.msg}") from None


def open_epub(path: Path) -> Package:
    """A zipped EPUB: its package document is named by META-INF/container.xml."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(f"{path}: not an EPUB (it is not a ZIP archive: {exc})") from None
    names = set(archive.namelist())

    def read_member(member: str) -> bytes:
        if member not in names:
            raise PackageError(f"{path}: the EPUB has no file '{member}'")
        info = archive.getinfo(member)
        if info.file_size > MAX_MEMBER:
            raise PackageError(f"{path}!{member}: {info.file_size:,} bytes, more than an EPUB's text or image needs")
        try:
            return archive.read(member)
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise PackageError(f"{path}!{member}: cannot be read from the archive: {exc}") from None

    container = parse_xml(read_member("META-INF/container.xml"), f"{path}!META-INF/container.xml")
    rootfile = container.find(".//c:rootfile", CONTAINER_NS)
    opf = rootfile.get("full-path") if rootfile is not None else None
    if not opf:
        raise PackageError(f"{path}!META-INF/container.xml: names no package document (rootfile full-path)")
    return Package(str(path), posixpath.normpath(opf), read_member)


def open_folder(path: Path) -> Package:
    """A folder of Standard Ebooks-style source: `src/epub/content.opf` (or `content.opf` in the
    folder itself), the text in `text/*.xhtml` beside it."""
    for candidate in (path / "src" / "epub", path / "epub", path):
        if (candidate / "content.opf").is_file():
            root = candidate.resolve()
            break
    else:
        raise PackageError(f"{path}: no content.opf (looked in src/epub/, epub/ and the folder itself): "
                           "not a Standard Ebooks-style source folder")

    def read_member(member: str) -> bytes:
        target = (root / member).resolve()
        if not target.is_relative_to(root):
            raise PackageError(f"{path}: '{member}' leads outside the book's folder")
        try:
            if target.stat().st_size > MAX_MEMBER:
                raise PackageError(f"{target}: more than an EPUB's text or image needs")
            return target.read_bytes()
        except OSError as exc:
            raise PackageError(f"{target}: cannot read: {exc.strerror or exc}") from None

    return Package(str(path), "content.opf", read_member)


def open_package(path: Path) -> Package:
    return open_folder(path) if path.is_dir() else open_epub(path)
