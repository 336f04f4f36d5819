"""How long from a slider move on the latent page to the new image? Target: under
a quarter of a second for a 28x28 generator on CPU.

    python benchmarks/bench_latent_slider.py                  # server side only
    python benchmarks/bench_latent_slider.py --browser        # and in Chromium: key press -> new image

Server side: the work one slider move costs the page, timed call by call on the
default image structure (28x28 DCGAN, width 64, noise 100, batch-norm generator frozen
to a reference batch): the latent for the new t (slerp), one generator forward pass, the
uint8 conversion and 8x enlargement, and the PNG encoding st.image does. Also the
one-off costs (copying/freezing the nets, the principal directions) that a move never pays.

Browser: a saved run of the same structure opens on /Latent; the t slider is moved one
step with the keyboard and the time until the frame's <img> has a new src, loaded, is measured
(Playwright polls on animation frames, so each figure is an upper bound by ~16 ms).
Needs Chromium (apt-get install chromium) and playwright (pip install -e '.[test]').
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from ganlab.data.image_sources import load_image_source  # noqa: E402
from ganlab.explore.explorer import build_nets, explorer_from_nets  # noqa: E402
from ganlab.explore.latent import interpolate, move  # noqa: E402
from ganlab.explore.latent_images import png_bytes, to_uint8, upscale  # noqa: E402
from ganlab.kinds.image_experiment import ImageExperiment  # noqa: E402
from ganlab.settings.config import ImageStructure, Knobs  # noqa: E402

SCALE = 8  # as the page shows the frame


def summary(ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return f"median {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms   max {ms[-1]:6.1f} ms   (n={len(ms)})"


def load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def server_side(moves: int, threads: int) -> None:
    torch.set_num_threads(threads)
    structure = ImageStructure(dataset="digits")
    experiment = ImageExperiment(structure, load_image_source("digits", 28, 1))
    started = time.perf_counter()
    G, D = build_nets(structure)
    ex = explorer_from_nets(experiment, Knobs(), G, D, 0, "bench")
    once = {"build + freeze the nets": time.perf_counter() - started}
    started = time.perf_counter()
    dirs, _ = ex.directions("pca", 4)
    once["principal directions (1,024 latents)"] = time.perf_counter() - started
    a, b = ex.seed_latent(1), ex.seed_latent(2)
    g = torch.Generator().manual_seed(0)
    frame_ms, forward_ms, encode_ms, dir_ms = [], [], [], []
    for i in range(moves + 5):
        t = float(torch.rand((), generator=g))
        t0 = time.perf_counter()
        z = interpolate(a, b, t, "slerp")
        x = ex.render(z[None])
        t1 = time.perf_counter()
        png_bytes(upscale(to_uint8(x)[0], SCALE))
        t2 = time.perf_counter()
        amounts = (torch.rand(4, generator=g) * 6 - 3).tolist()
        png_bytes(upscale(to_uint8(ex.render(move(a, dirs, amounts)[None]))[0], SCALE))
        t3 = time.perf_counter()
        if i >= 5:  # warm-up moves left out
            forward_ms.append(1000 * (t1 - t0))
            encode_ms.append(1000 * (t2 - t1))
            frame_ms.append(1000 * (t2 - t0))
            dir_ms.append(1000 * (t3 - t2))
    print(f"server side, torch threads = {threads}, {load()}")
    print(f"  interpolation move, total      {summary(frame_ms)}")
    print(f"    latent + generator forward   {summary(forward_ms)}")
    print(f"    uint8 + enlarge + PNG        {summary(encode_ms)}")
    print(f"  direction-slider move, total   {summary(dir_ms)}")
    for what, seconds in once.items():
        print(f"  once per source: {what}: {1000 * seconds:.0f} ms")


def browser_side(moves: int) -> None:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_FLAGS, AppServer, _chromium_path
    from tests.browser.test_latent_browser import FRAME_SRC_JS, open_latent_page, save_image_run

    # a new frame, downloaded and decoded: what the user sees
    LOADED_JS = """(before) => { for (const el of document.querySelectorAll('[data-testid="stImage"]'))
        if (el.innerText.includes('t = ')) { const img = el.querySelector('img');
          return !!img && img.src !== before && img.complete && img.naturalWidth > 0; }
      return false; }"""

    chromium = _chromium_path()
    if chromium is None:
        print("browser: Chromium is not installed (apt-get install chromium); skipped")
        return
    with tempfile.TemporaryDirectory() as runs:
        save_image_run(Path(runs))  # the default structure: width 64, noise 100
        server = AppServer({"GANLAB_RUNS_DIR": runs})
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
                page = browser.new_page(viewport={"width": 1500, "height": 1200})
                open_latent_page(page, server)
                slider = page.get_by_role("slider", name="t (from A to B)")
                slider.focus()
                slider.press("Home")
                page.wait_for_function("() => document.body.innerText.includes('t = 0.00')", timeout=30_000)
                page.wait_for_timeout(500)
                ms = []
                for i in range(moves + 3):
                    before = page.evaluate(FRAME_SRC_JS)
                    t0 = time.perf_counter()
                    slider.press("ArrowRight")
                    page.wait_for_function(LOADED_JS, arg=before, timeout=30_000, polling="raf")
                    if i >= 3:
                        ms.append(1000 * (time.perf_counter() - t0))
                    page.wait_for_timeout(150)  # let the page settle, as a hand on a slider would
                browser.close()
        finally:
            server.stop()
    print(f"browser (Chromium, same machine), {load()}")
    print(f"  key press -> new frame         {summary(ms)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--moves", type=int, default=200, help="slider moves timed server side")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (server side)")
    parser.add_argument("--browser", action="store_true", help="also time key press -> new image in Chromium")
    parser.add_argument("--browser-moves", type=int, default=30)
    args = parser.parse_args()
    server_side(args.moves, args.threads)
    if args.browser:
        browser_side(args.browser_moves)


if __name__ == "__main__":
    main()
