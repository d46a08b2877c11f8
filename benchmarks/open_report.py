"""Open a report.html in headless Chromium (Debian's chromium): time until HiPlot has drawn its axes,
script errors, and any request beyond the file itself.

    python benchmarks/open_report.py docs/seed-reproduction/report.html
"""

import shutil
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main(path: str) -> None:
    uri = Path(path).resolve().as_uri()
    errors, requests = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("request", lambda r: requests.append(r.url))
            started = time.monotonic()
            page.goto(uri)
            page.wait_for_function("document.querySelectorAll('.label-name').length >= 3", timeout=60_000)
            drawn = time.monotonic() - started
            axes = page.evaluate("document.querySelectorAll('.label-name').length")
        finally:
            browser.close()
    others = [r for r in requests if r != uri]
    print(f"HiPlot's {axes} axes drawn {drawn:.2f} s after navigation; script errors: {errors or 'none'}; "
          f"requests beyond the file: {others or 'none'}")


if __name__ == "__main__":
    main(sys.argv[1])
