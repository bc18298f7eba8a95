"""The error of an import that wrote nothing, apart from the package so that its readers
(docx.py, …) raise it without importing the package that imports them."""

from __future__ import annotations

from ..errors import AnthologyError


class ImportError_(AnthologyError):
    """The file could not be imported; nothing was written."""
