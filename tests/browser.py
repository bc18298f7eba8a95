"""A headless Chromium driven over the DevTools protocol (websockets), for the tests that look
at pages as a reader's browser does: console errors, axe-core's audit, computed layout."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from conftest import REPO

CHROMIUM = shutil.which("chromium")
# axe-core as Ace by DAISY ships it (tools/ace, installed by make setup): no other download
AXE = REPO / "tools" / "ace" / "node_modules" / "@daisy" / "axe-core-for-ace" / "axe.min.js"


def devtools_port(profile: Path, proc: subprocess.Popen) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        if marker.is_file() and marker.read_text().strip():
            return int(marker.read_text().split()[0])
        time.sleep(0.1)
    raise AssertionError("Chromium did not open its DevTools port")


class Page:
    """One page of a headless Chromium, driven over the DevTools protocol; the console's
    errors and uncaught exceptions are kept in `errors`."""

    def __init__(self, ws):
        self.ws, self.next_id = ws, 0
        self.errors: list[str] = []
        self.loaded = False

    def send(self, method: str, params: dict | None = None, timeout: float = 30) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.event(message)

    def event(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.exceptionThrown":
            self.errors.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.errors.append(" ".join(str(a.get("value", "")) for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append(f"{params['entry']['text']} {params['entry'].get('url', '')}")
        elif method == "Page.loadEventFired":
            self.loaded = True

    def evaluate(self, expression: str, awaited: bool = False):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": awaited})
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, seconds: float) -> float:
        """Poll until the expression is true; return how long it took."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if self.evaluate(expression):
                return time.monotonic() - started
            time.sleep(0.1)
        raise AssertionError(f"not true within {seconds} s: {expression}")

    def open(self, url: str, seconds: float = 30) -> None:
        """Load a page and wait for its load event."""
        self.loaded = False
        self.send("Page.navigate", {"url": url})
        deadline = time.monotonic() + seconds
        while not self.loaded:
            self.event(json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic()))))

    def viewport(self, width: int, height: int = 900, dark: bool = False) -> None:
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": width < 600})
        self.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme",
                                                               "value": "dark" if dark else "light"}]})

    def axe(self) -> list[str]:
        """axe-core's violations on the page as it is (WCAG 2.x A and AA and best practice)."""
        if not self.evaluate("typeof axe !== 'undefined'"):
            self.evaluate(AXE.read_text(encoding="utf-8"))
        found = self.evaluate("axe.run(document).then(r => JSON.stringify(r.violations.map(v => "
                              "[v.id, v.impact, v.nodes.map(n => n.target.join(' ')).slice(0, 3)])))", awaited=True)
        return [f"{rule} ({impact}): {nodes}" for rule, impact, nodes in json.loads(found)]


class Browser:
    """`with Browser(tmp) as page:` a headless Chromium on 127.0.0.1 and its first page."""

    def __init__(self, profile: Path):
        self.profile = profile
        self.proc = None

    def __enter__(self) -> Page:
        from websockets.sync.client import connect

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={self.profile}",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port = devtools_port(self.profile, self.proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            target = next(t for t in json.load(response) if t["type"] == "page")
        self.connection = contextlib.ExitStack()
        page = Page(self.connection.enter_context(connect(target["webSocketDebuggerUrl"], max_size=None,
                                                          open_timeout=10)))
        for domain in ("Runtime", "Log", "Page"):
            page.send(f"{domain}.enable")
        return page

    def __exit__(self, *exc) -> None:
        self.connection.close()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
