"""`anthology serve`: the book as one live web page, rebuilt on change, reading only the manuscript."""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from lxml import html as lhtml

from anthology.commands.new import new
from anthology.preview import Preview

CHROMIUM = shutil.which("chromium")


def get(preview: Preview, path: str) -> tuple[int, bytes]:
    """GET a raw path, sent as written (no client-side clean-up of '..')."""
    host, port = preview.server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture
def book(tmp_path):
    root = tmp_path / "book"
    new(root)
    (root / "images").mkdir()
    (root / "images" / "plate.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    return root


def test_page_assets_and_sandbox(book, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG private")
    (book / "images" / "link.png").symlink_to(secret)
    with Preview(book, port=0) as preview:
        assert preview.url.startswith("http://127.0.0.1:")
        status, page = get(preview, "/")
        assert status == 200 and b"The first paragraph." in page and b'id="anthology-diagnostics"' not in page
        assert b'href="/_theme/print.css"' in page
        assert get(preview, "/version") == (200, b'{"version": 1}')
        assert get(preview, "/images/plate.svg")[0] == 200
        assert get(preview, "/_theme/base.css")[0] == 200
        for path in ("/../secret.png", "/%2e%2e/secret.png", "/images/..%2f..%2fsecret.png", "/images/../../secret.png",
                     "/images/link.png", "/_theme/../../../../../../" + str(secret).lstrip("/"), "/anthology.yml",
                     "/essays/first-essay.md", "/" + str(secret)):
            status, body = get(preview, path)
            assert status == 404 and b"private" not in body, path


def test_load_errors_replace_the_book_and_edits_rebuild(book):
    with Preview(book, port=0) as preview:
        config = book / "anthology.yml"
        config.write_text(config.read_text().replace("language: en ", "langauge: en "))
        deadline = time.monotonic() + 5
        while preview.version < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        status, page = get(preview, "/")
        assert status == 200 and b"The book cannot be built" in page
        banner = lhtml.fromstring(page).get_element_by_id("anthology-diagnostics").text_content()
        line = config.read_text().splitlines().index(next(l for l in config.read_text().splitlines()
                                                          if l.startswith("langauge:"))) + 1
        assert f"anthology.yml:{line}: error: unknown key 'langauge'" in banner
        assert b"The first paragraph." not in page
        assert json.loads(get(preview, "/version")[1]) == {"version": preview.version}


def devtools_port(profile: Path, proc: subprocess.Popen) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        if marker.is_file() and marker.read_text().strip():
            return int(marker.read_text().split()[0])
        time.sleep(0.1)
    raise AssertionError("Chromium did not open its DevTools port")


class Page:
    """One page of a headless Chromium, driven over the DevTools protocol."""

    def __init__(self, ws):
        self.ws, self.next_id = ws, 0

    def evaluate(self, expression: str):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": "Runtime.evaluate",
                                 "params": {"expression": expression, "returnByValue": True}}))
        while True:
            message = json.loads(self.ws.recv(timeout=10))
            if message.get("id") == self.next_id:
                return message.get("result", {}).get("result", {}).get("value")

    def wait_for(self, expression: str, seconds: float) -> float:
        """Poll until the expression is true; return how long it took."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if self.evaluate(expression):
                return time.monotonic() - started
            time.sleep(0.1)
        raise AssertionError(f"not true within {seconds} s: {expression}")


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/setup-system.sh installs it)")
def test_headless_chromium_sees_an_edit_within_5_seconds(book, tmp_path):
    from websockets.sync.client import connect

    profile = tmp_path / "chromium-profile"
    with Preview(book, port=0) as preview:
        proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", preview.url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            port = devtools_port(profile, proc)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
                targets = json.load(response)
            target = next(t for t in targets if t["type"] == "page" and t["url"].startswith(preview.url))
            with connect(target["webSocketDebuggerUrl"], max_size=None, open_timeout=10) as ws:
                page = Page(ws)
                page.wait_for("document.body && document.body.innerText.includes('The first paragraph.')", 15)
                assert page.evaluate("document.getElementById('anthology-diagnostics') === null")
                assert page.evaluate("getComputedStyle(document.querySelector('.piece-title')).display") != "none"

                essay = book / "essays" / "first-essay.md"
                essay.write_text(essay.read_text().replace("The first paragraph.", "A changed paragraph -- with a dash."))
                took = page.wait_for("document.body.innerText.includes('A changed paragraph')", 5)
                assert took < 5
                banner = page.evaluate("document.getElementById('anthology-diagnostics').innerText")
                assert "essays/first-essay.md:10:21: warning: '--' used for a dash" in banner
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


NOTED = {
    "anthology.yml": "title: Noted\nlanguage: en\ncontents: [a.md, b.md]\n",
    "a.md": "---\ntitle: A\n---\n\nText with a note.[^1] And another.[^2]\n\n[^1]: The first note, *emphasised*.\n"
            "[^2]: The second note.\n",
    "b.md": "---\ntitle: B\n---\n\nB's text.[^x]\n\n[^x]: B's note.\n",
}


def test_serve_from_the_command_line_shows_notes_at_the_foot_of_each_piece_and_reloads(make_manuscript):
    """`anthology serve --port 0` as an editor runs it: the URL it prints answers on 127.0.0.1;
    each piece's notes follow it, numbered from 1, the number on the note's first line as in
    the book; a saved edit is on the page (a new version) within two seconds."""
    import os
    import sys

    root = make_manuscript(NOTED)
    proc = subprocess.Popen([sys.executable, "-m", "anthology", "serve", str(root), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "300"})
    try:
        first = next(line for line in proc.stdout if line.startswith("previewing "))
        url = first.split(" at ", 1)[1].split(" ", 1)[0]
        assert url.startswith("http://127.0.0.1:"), first
        with urllib.request.urlopen(url, timeout=10) as response:
            doc = lhtml.fromstring(response.read())
        pieces = doc.xpath("//section[contains(@class, 'piece ')]")
        notes = [[(aside.findtext("p[@class='note-number']/a"), aside.xpath("string(p[2])"))
                  for aside in piece.xpath(".//section[@class='footnotes']/aside")] for piece in pieces]
        assert notes == [[("1", "The first note, emphasised."), ("2", "The second note.")], [("1", "B’s note.")]]
        css = doc.xpath("string(//style)")
        assert "aside.footnote > p.note-number + p { display: inline; }" in css.replace(",\n", ", ")
        with urllib.request.urlopen(url + "version", timeout=5) as response:
            version = json.load(response)["version"]
        (root / "b.md").write_text(NOTED["b.md"].replace("B's note.", "An edited note."))
        started = time.monotonic()
        while time.monotonic() - started < 10:
            with urllib.request.urlopen(url + "version", timeout=5) as response:
                if json.load(response)["version"] > version:
                    break
            time.sleep(0.05)
        took = time.monotonic() - started
        with urllib.request.urlopen(url, timeout=10) as response:
            assert b"An edited note." in response.read()
        assert took < 2, took
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)
    assert "Traceback" not in err and "rebuilt in" in out
