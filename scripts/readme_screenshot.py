"""The README's screenshot: the playground on the grid of 25 after SECONDS of training (default 45),
1400x1750 so the charts are in view. Starts its own server on a loopback port and stops it.
Usage: python scripts/readme_screenshot.py [SECONDS]   (writes assets/playground.png)"""
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(tempfile.mkdtemp(prefix="ganlab-shot-"))
port = 8791
srv = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
    "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
    "--browser.gatherUsageStats", "false"],
    cwd=str(ROOT), stdout=open(str(OUT / "server.log"), "w"), stderr=subprocess.STDOUT,
    env={**os.environ, "GANLAB_RUNS_DIR": str(OUT / "runs")})
try:
    for _ in range(120):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        for w, h, q, secs in [(1400, 1750, "?data=grid", float(sys.argv[1]) if len(sys.argv) > 1 else 45.0)]:
            pg = b.new_page(viewport={"width": w, "height": h})
            pg.goto(f"http://127.0.0.1:{port}/Playground{q}")
            pg.get_by_role("button", name="Play").wait_for(timeout=90000)
            pg.get_by_role("button", name="Play").click()
            time.sleep(secs)
            pg.screenshot(path=str(ROOT / "assets" / "playground.png"))
            pg.close()
        b.close()
finally:
    srv.terminate()
    srv.wait(20)
