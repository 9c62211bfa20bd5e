"""Check HTML pages for accessibility with axe-core in headless Chromium; exit 1 on any violation.

    python3 .ci/axe_check.py out/

axe-core comes from the npm registry (pinned, its integrity checked) and is kept in
~/.cache/factsheet-ci; Chromium is the system's. Each page is copied with axe added
at its end, opened headless, and axe's findings are read back from the page title.
Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

AXE_VERSION = "4.14.1"
AXE_INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
RUN = ("axe.run(document, {runOnly: {type: 'tag', values: %s}}).then(function (r) { document.title = 'AXE:' + "
       "JSON.stringify(r.violations.map(function (v) { return {id: v.id, impact: v.impact, help: v.help, "
       "nodes: v.nodes.map(function (n) { return n.target.join(' '); })}; })); });" % json.dumps(TAGS))


def axe_source() -> str:
    """axe.min.js of the pinned version, downloaded once and checked against its published integrity."""
    cached = Path.home() / ".cache" / "factsheet-ci" / f"axe-core-{AXE_VERSION}.min.js"
    if cached.is_file():
        return cached.read_text(encoding="utf-8")
    url = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"
    data = urllib.request.urlopen(url, timeout=60).read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if digest != AXE_INTEGRITY:
        sys.exit(f"axe-core {AXE_VERSION} from {url} does not match its pinned integrity")
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        source = archive.extractfile("package/axe.min.js").read().decode("utf-8")
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(source, encoding="utf-8")
    return source


def violations(page: Path, axe: str, browser: str, work: Path) -> list:
    """axe-core's violations on one page."""
    copy = work / page.name
    text = page.read_text(encoding="utf-8")
    copy.write_text(text.replace("</body>", f"<script>{axe}</script><script>{RUN}</script></body>"), encoding="utf-8")
    done = subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=20000",
                           "--dump-dom", copy.as_uri()], capture_output=True, text=True, timeout=120)
    found = re.search(r"<title>AXE:(.*?)</title>", done.stdout, re.S)
    if not found:
        sys.exit(f"{page}: axe did not report (Chromium said: {done.stderr.strip()[-300:]})")
    return json.loads(html.unescape(found.group(1)))


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
    pages = sorted(folder.glob("*.html"))
    if not pages:
        sys.exit(f"no HTML pages in {folder}: build them with factsheet build --format html")
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not browser:
        sys.exit("no Chromium: install it (apt-get install chromium) to check the pages")
    axe = axe_source()
    failed = 0
    with tempfile.TemporaryDirectory() as work:
        for page in pages:
            found = violations(page, axe, browser, Path(work))
            failed += bool(found)
            print(f"{page.name}: {'no violations' if not found else f'{len(found)} violation(s)'}")
            for item in found:
                print(f"  {item['id']} ({item['impact']}): {item['help']} at {', '.join(item['nodes'][:3])}")
    print(f"axe-core {AXE_VERSION}, rules {', '.join(TAGS)}: {len(pages) - failed} of {len(pages)} pages pass")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
