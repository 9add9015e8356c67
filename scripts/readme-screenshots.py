"""The README's dashboard screenshots (docs/screenshots/*.png), made again.

    scripts/setup-browser && python scripts/readme-screenshots.py

Serves the dashboard on the sample builds and the browser tests' small history (a
SQLite file under test-artifacts/, paths relative to the repository so that no path
of this machine shows in a picture) and photographs each page in headless Chromium
at 1440 px, and three of them at 390 px. Look at them before committing them.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOTS = (
    ("build", "/build/f10", 1440, 1100),
    ("build-failed", "/build/f4", 1440, 1100),
    ("runs", "/?build=app", 1440, 900),
    ("compare", "/compare?a=10&b=11", 1440, 1100),
    ("trends", "/trends?build=app", 1440, 1000),
    ("build-home", "/builds/app", 1440, 1100),
    ("build-home-390", "/builds/app", 390, 844),
    ("runs-390", "/?build=app", 390, 844),
    ("build-390", "/build/f4", 390, 844),
)


def main() -> int:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    import shutil

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    from dashboard.app import create_app
    from tests.dashboard.chromium import launch_chromium
    from tests.dashboard.conftest import SAMPLE_FILES, fill_history

    db = Path("test-artifacts") / "readme.db"
    db.parent.mkdir(exist_ok=True)
    db.unlink(missing_ok=True)
    fill_history(f"sqlite:///{db}")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    files = [path.relative_to(ROOT) for path in SAMPLE_FILES]
    app = create_app(f"sqlite:///{db}", files)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    out = Path("docs") / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("no Chromium: run scripts/setup-browser", file=sys.stderr)
        return 1
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium)
        for name, path, width, height in SHOTS:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)  # plotly's transitions
            page.screenshot(path=str(out / f"{name}.png"))
            page.close()
            print(out / f"{name}.png")
        browser.close()
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
