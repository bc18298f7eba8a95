"""What every edition writer shares: the theme, links between documents and the build time."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from markupsafe import Markup, escape

from ..labels import Labels, digits
from ..model import Anthology
from .. import quotations, theme


def build_time() -> dt.datetime:
    """The build's timestamp: SOURCE_DATE_EPOCH when set, so identical inputs give identical bytes."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
    return dt.datetime.now(tz=dt.timezone.utc).replace(microsecond=0)


class Writer:
    """The contract of an edition: `href()` for links between targets, `write()` for the file."""

    name = ""
    suffix = ""

    def __init__(self, book: Anthology):
        self.book = book
        self.env = theme.environment(book.root)
        self.env.globals.update(fill=None)
        self.translate = Labels(book.meta.language, book.meta.labels)
        self.env.trust(quotation_index=quotations.quotation_index, works_cited=quotations.works_cited,
                       image_credits=quotations.image_credits, page_attr=self.page_attr, _=self.translate)
        self.env.trusted.add(type(self).href)  # passed with each render
        self.page_labels: dict[str, str] = {}

    def page_attr(self, target: str) -> Markup:
        """` data-page="12"` where the print page of a target is already known (a chunked
        layout); print.css then sets it instead of computing target-counter()."""
        label = self.page_labels.get(target)
        return Markup(f' data-page="{escape(digits(label, self.book.meta.language))}"') if label else Markup("")

    def output_path(self, out_dir: Path) -> Path:
        return Path(out_dir) / f"{self.book.meta.slug}{self.suffix}"

    def href(self, target: str) -> str:
        raise NotImplementedError

    def render(self, template: str, **context) -> str:
        return theme.render(self.env, template, book=self.book, href=self.href, **context)

    def write(self, out_dir: Path) -> Path:
        raise NotImplementedError
