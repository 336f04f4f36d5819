"""What a crafted request costs the server's CPU (issue 23: no request over 1 s of CPU).

    python benchmarks/bench_hostile_requests.py            # 5 repeats each, medians
    python benchmarks/bench_hostile_requests.py --repeats 9

Prints CPU seconds (this process's user + system time) per request, median of the repeats,
beside a baseline measured in the same run, and the load average:

- canvas: the playground's handling of a canvas message (ganlab.ui.draw_data's order: the
  count check, then the two JSON comparisons, the parse, the link code and the drawing's data
  set): the crafted 10 paths x 20,000 curves of issue 23.7 (6.6 MB; 41 s before the caps),
  the largest drawing the caps let through (100 paths x 100 commands, random curves: no
  thinning helps), and a hand-sized drawing (3 strokes of 150 commands) as the baseline.
- dynamics: a Dynamics page load through Streamlit's AppTest with a link of 45,000 bad
  `dy_start` parts (issue 23.8: 3.7 s per load before), and its next rerun (a click), beside
  a plain link's load and rerun.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from ganlab.data.drawn import DrawingCodeError, drawn_distribution, encode  # noqa: E402
from ganlab.data.drawn_canvas import canvas_problem, parse_canvas  # noqa: E402

CANVAS = (228, 228)


def canvas_message(paths: int, commands: int, seed: int = 0) -> dict:
    """`paths` fabric paths of one M and `commands` - 1 random quadratic curves each."""
    rng = np.random.default_rng(seed)
    objects = []
    for _ in range(paths):
        curves = rng.uniform(0, 228, (commands - 1, 4)).round(2).tolist()
        objects.append({"type": "path", "left": 114, "top": 114, "strokeWidth": 8,
                        "path": [["M", 10.0, 10.0]] + [["Q", *c] for c in curves]})
    return {"version": "7.4.0", "objects": objects}


def hand_drawing() -> dict:
    """Three strokes of 150 small curves each, as a mouse draws them (a few pixels apart)."""
    objects = []
    for k in range(3):
        t = np.linspace(0, 2 * np.pi, 301)
        xs, ys = 114 + (40 + 20 * k) * np.cos(t), 114 + (40 + 20 * k) * np.sin(t)
        path = [["M", xs[0], ys[0]]] + [["Q", xs[i], ys[i], xs[i + 1], ys[i + 1]] for i in range(1, 300, 2)]
        objects.append({"type": "path", "left": 114, "top": 114, "strokeWidth": 8, "path": path})
    return {"version": "7.4.0", "objects": objects}


def handle_canvas(message: dict) -> str:
    """What the page does with a canvas message (without Streamlit): the outcome in words."""
    problem = canvas_problem(message)
    if problem is not None:
        return "refused: " + problem
    objects = json.dumps(message.get("objects") or [], sort_keys=True)  # the page compares it twice
    json.dumps(message.get("objects") or [], sort_keys=True)
    try:
        code = encode(parse_canvas(message, CANVAS))
    except DrawingCodeError as err:
        return f"refused: {err}"
    data = drawn_distribution(code)
    return f"applied: {len(objects) / 1e6:.1f} MB of objects, code of {len(code)} chars, {len(data.points):,} points"


def cpu(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.process_time()
        out = fn()
        times.append(time.process_time() - t0)
    return statistics.median(times), out


def bench_canvas(repeats: int) -> None:
    cases = [("hand-drawn, 3 x 150 (baseline)", hand_drawing()),
             ("crafted, 10 x 20,000 (issue 23.7)", canvas_message(10, 20_000)),
             ("largest within the caps, 100 x 100", canvas_message(100, 100))]
    base = None
    for name, message in cases:
        size = len(json.dumps(message)) / 1e6
        seconds, outcome = cpu(lambda m=message: handle_canvas(m), repeats)
        base = base or seconds
        print(f"canvas   {name:38s} {size:5.1f} MB  CPU {seconds:7.3f} s  ({seconds / base:5.1f}x baseline)  {outcome}")


def bench_dynamics(repeats: int) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    bad = ";".join(["oops"] * 45_000 + ["1,1"])
    base = None
    for name, start in (("plain link (baseline)", "1,1"), ("45,000 bad dy_start parts (issue 23.8)", bad)):
        loads, reruns, warnings = [], [], 0
        for _ in range(repeats):
            st.cache_resource.clear()
            st.cache_data.clear()
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
            at.switch_page("pages/5_Dynamics.py")
            at.query_params["dy_start"] = start
            t0 = time.process_time()
            at.run()
            loads.append(time.process_time() - t0)
            warnings = len(at.warning)
            t0 = time.process_time()
            at.run()  # the next rerun, as after a click
            reruns.append(time.process_time() - t0)
        load, rerun = statistics.median(loads), statistics.median(reruns)
        base = base or load
        print(f"dynamics {name:38s} load CPU {load:6.3f} s ({load / base:4.1f}x baseline), "
              f"rerun {rerun:6.3f} s, {warnings} warning(s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    bench_canvas(args.repeats)
    bench_dynamics(args.repeats)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
