"""Browser tests: Playwright driving Debian's Chromium against the app served on loopback.

Nothing is downloaded: Playwright's Python package brings its driver, and the
browser is the system's ``/usr/bin/chromium`` (``.ci/run`` installs it).
"""

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("DONATE_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
#: The axe-core release the accessibility checks inject (from the npm registry, cached outside the repo).
AXE_VERSION = "4.10.3"
AXE_CACHE = Path(os.environ.get("DONATE_TEST_AXE_DIR") or Path.home() / ".cache" / "lindungi-tests" / f"axe-core-{AXE_VERSION}")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Start one headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_script() -> str:
    """Return axe.min.js, installing the npm package ``axe-core`` into a cache folder the first time."""
    script = AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        assert npm, "the accessibility checks need npm to fetch axe-core (apt install npm)"
        AXE_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--prefix", str(AXE_CACHE), "--no-audit", "--no-fund", "--ignore-scripts",
                        "--no-save", f"axe-core@{AXE_VERSION}"], check=True, capture_output=True, timeout=300)
    return script.read_text(encoding="utf-8")


@pytest.fixture
def live_server(app):
    """Serve the test app on a free loopback port; return its base URL."""
    app.config["SERVER_NAME"] = None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context and page (no cookies shared between tests)."""
    context = browser.new_context(base_url=live_server, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
