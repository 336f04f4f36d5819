"""Does watching slow training down? Trainer speed with the playground open in a real
browser (live view refreshing) against the same run headless, measured in one go.

    python benchmarks/bench_live_view.py --seconds 20 --rounds 3

For each round prints headless steps/s, steps/s with the page open, their ratio (target
>= 0.8), the browser's and server's CPU, and how often the page's step counter changed (target >= 2 per second).
Needs Chromium (apt-get install chromium) and playwright (pip install -e '.[test]').
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from bench_runner_overhead import runner_rate  # noqa: E402  (this folder is on sys.path)

from ganlab.kinds.toy_experiment import ToyExperiment  # noqa: E402
from ganlab.settings.urlstate import decode  # noqa: E402
from tests.browser.conftest import CHROMIUM_FLAGS, AppServer, _chromium_path  # noqa: E402

STEP = re.compile(r"Step ([\d,]+) ·")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(match: str) -> float:
    """User + system CPU seconds of every process whose command line contains `match`
    (Linux /proc): how much the browser and the server burn, whatever the machine's load."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if match not in cmdline:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        except (OSError, IndexError, ValueError):
            continue
    return total


CPU_OWNERS = {"browser": "chromium", "server": "streamlit run app.py"}


def page_rate(query: dict[str, str], seconds: float, warmup: float) -> tuple[float, float, dict[str, float]]:
    from playwright.sync_api import sync_playwright

    server = AppServer()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=_chromium_path(), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1200})
            page.goto(f"{server.url}/Playground?" + "&".join(f"{k}={v}" for k, v in query.items()))
            page.get_by_text(STEP).first.wait_for(timeout=60_000)
            page.get_by_role("button", name="Play").click()
            page.get_by_role("button", name="Pause").wait_for(timeout=30_000)
            time.sleep(warmup)

            # Count every change of the status line in the page itself (no polling gaps).
            page.evaluate("""() => {
                window.__ganlab = {changes: 0, last: null};
                const read = () => {  // textContent of the bold "Step N": no layout, unlike innerText
                    for (const el of document.querySelectorAll("strong")) {
                        const m = el.textContent.match(/^Step ([\\d,]+)$/);
                        if (m) return m[1];
                    }
                };
                new MutationObserver(() => {
                    const now = read();
                    if (now && now !== window.__ganlab.last) { window.__ganlab.changes++; window.__ganlab.last = now; }
                }).observe(document.body, {subtree: true, childList: true, characterData: true});
            }""")
            t0 = time.perf_counter()
            cpu0 = {who: cpu_seconds(pattern) for who, pattern in CPU_OWNERS.items()}
            first = page.evaluate("document.body.innerText.match(/Step ([\\d,]+) ·/)[1]")
            page.wait_for_timeout(seconds * 1000)
            elapsed = time.perf_counter() - t0
            cpu = {who: (cpu_seconds(pattern) - cpu0[who]) / elapsed for who, pattern in CPU_OWNERS.items()}
            stats = page.evaluate("window.__ganlab")
            first, last, changes = int(first.replace(",", "")), int(stats["last"].replace(",", "")), stats["changes"]
            browser.close()
        return (last - first) / elapsed, changes / elapsed, cpu
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--data", default="ring")
    parser.add_argument("--rounds", type=int, default=3,
                        help="headless then watched, this many times: one pair swings by +-0.15 on a shared VM")
    args = parser.parse_args()
    torch.set_flush_denormal(True)
    query = {"data": args.data}
    structure, knobs, _ = decode(query)
    print(f"data={args.data}, default nets (3x128), batch 256, {args.seconds:.0f} s each, one intra-op thread per runner")
    headless_rates, watched_rates, ratios = [], [], []
    for r in range(args.rounds):
        headless = runner_rate(ToyExperiment(structure), knobs, args.warmup, args.seconds, threads=1)
        watched, refresh_hz, cpu = page_rate(query, args.seconds, args.warmup)
        headless_rates.append(headless)
        watched_rates.append(watched)
        ratios.append(watched / headless)
        print(f"round {r + 1}: headless {headless:6.1f} steps/s, page open {watched:6.1f} steps/s, ratio {ratios[-1]:.2f}; "
              f"page counter changed {refresh_hz:.1f} times/s; CPU: browser {cpu['browser']:.2f} cores "
              f"({1000 * cpu['browser'] / max(refresh_hz, 1e-9):.0f} ms per refresh), server {cpu['server']:.2f} "
              f"(training included); load average {os.getloadavg()[0]:.2f}", flush=True)
    print(f"ratio watched / headless : median {statistics.median(ratios):.2f} of {args.rounds} rounds, "
          f"mean rates {statistics.mean(watched_rates):.1f} / {statistics.mean(headless_rates):.1f} = "
          f"{statistics.mean(watched_rates) / statistics.mean(headless_rates):.2f}   (target >= 0.80)")
    print(f"on {os.cpu_count()} CPUs; other work on the machine skews the ratio")


if __name__ == "__main__":
    main()
