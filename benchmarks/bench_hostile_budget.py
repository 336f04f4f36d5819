"""Hostile requests against one server while a bystander trains (issue 23): the crafted Images link
of a huge run (`w=256&bs=4096&ds=10&nd=256`, ~14 GB estimated) with Step and Play, the crafted
links that exist (a Dynamics link of 8,000 bad starts, a Playground link of 999 unknown keys), and
a trainer whose estimate is bypassed so that its worker's memory limit is what stops it.

The pages run through Streamlit's AppTest in this process, which stands for the app server (its
CPU time and RSS are the server's); trainers are worker processes as on a real server. The
bystander is a 2D run in its own worker, playing throughout.

    python benchmarks/bench_hostile_budget.py                  # cap 1, budget from the machine
    python benchmarks/bench_hostile_budget.py --seconds 8 --cap 2 --budget-gb 3.5

Prints the bystander's steps/s before, during each attack and after (ratios to before), each
request's server CPU seconds and peak RSS growth, the worker's peak RSS for the limit case, the
machine's lowest MemAvailable, and the load average. Every wait is bounded; everything started
is stopped (runners released, worker PIDs waited for)."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

MIB = 2**20
ATTACK = {"data": "digits", "size": "32", "ch": "3", "w": "256", "bs": "4096", "ds": "10", "nd": "256"}


class Sampler:
    """Peak RSS of some processes and the machine's lowest MemAvailable, sampled at 50 Hz."""

    def __init__(self, pids: list[int]) -> None:
        self.procs = [psutil.Process(p) for p in pids]
        self.peak = {p.pid: self._rss(p) for p in self.procs}
        self.low_available = psutil.virtual_memory().available
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _rss(proc: psutil.Process) -> int:
        try:
            return proc.memory_info().rss
        except psutil.Error:
            return 0

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            for proc in self.procs:
                self.peak[proc.pid] = max(self.peak[proc.pid], self._rss(proc))
            self.low_available = min(self.low_available, psutil.virtual_memory().available)

    def stop(self) -> Sampler:
        self._stop.set()
        self._thread.join(1.0)
        return self


def request(label: str, fn, rows: list) -> object:
    """Run one request (a page run) and record its CPU seconds and peak RSS growth of this process."""
    me = os.getpid()
    before_rss = psutil.Process(me).memory_info().rss
    sampler = Sampler([me])
    cpu0, t0 = time.process_time(), time.perf_counter()
    result = fn()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    sampler.stop()
    rows.append((label, cpu, wall, (sampler.peak[me] - before_rss) / MIB))
    return result


def rate(runner, seconds: float) -> float:
    """The bystander's steps/s over `seconds`."""
    s0, t0 = runner.snapshot(with_history=False).step, time.perf_counter()
    time.sleep(seconds)
    return (runner.snapshot(with_history=False).step - s0) / (time.perf_counter() - t0)


def errors_of(at) -> str:
    shown = [e.value for e in at.error]
    return (shown[0][:150] + "...") if shown else "(no message)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="each measurement window (s)")
    parser.add_argument("--cap", type=int, default=1, help="GANLAB_MAX_TRAINING_RUNS (the issue: 1)")
    parser.add_argument("--budget-gb", type=float, default=0.0, help="GANLAB_RUN_MEMORY_GB (0: the default)")
    parser.add_argument("--limit-gb", type=float, default=1.0,
                        help="the budget of the run whose estimate is bypassed (its worker's limit)")
    args = parser.parse_args()
    os.environ["GANLAB_MAX_TRAINING_RUNS"] = str(args.cap)
    if args.budget_gb > 0:
        os.environ["GANLAB_RUN_MEMORY_GB"] = str(args.budget_gb)
    os.environ.pop("GANLAB_TRAINERS", None)  # worker processes, as a server runs them

    import streamlit as st
    import torch
    from streamlit.testing.v1 import AppTest

    from ganlab.data.images import ImageDataset
    from ganlab.kinds.image_experiment import ImageExperiment
    from ganlab.kinds.toy_experiment import ToyExperiment
    from ganlab.settings.config import ImageStructure, Knobs, ToyStructure
    from ganlab.training import memory_budget, run_guard
    from ganlab.training.runner_state import RunState
    from ganlab.training.trainers import make_runner
    from ganlab.training.worker_process import LIMIT_SLACK, wait_gone
    from ganlab.ui.session import get_registry

    entry = str(ROOT / "app.py")
    st.cache_resource.clear()
    registry = get_registry()
    budget = memory_budget.run_budget(registry.slots.cores)
    print(f"cap {registry.slots.limit or 'no'} run count, {registry.slots.cores} cores; budget {budget / 2**30:.2f} GB per run; "
          f"machine {memory_budget.machine_memory() / 2**30:.1f} GB")
    started, pids, rows, rates, cpu_marks, attacker_proc = [], [], [], {}, {}, None
    try:
        # 0. the same pages from plain links first: one-time imports are not counted against the attacks
        for page, query, label in (("pages/2_Images.py", {"w": "8", "nd": "8", "bs": "8"}, "Images plain link: load"),
                                   ("pages/5_Dynamics.py", {}, "Dynamics plain link: load"),
                                   ("pages/1_Playground.py", {}, "Playground plain link: load")):
            plain = AppTest.from_file(entry, default_timeout=120)
            plain.switch_page(page)
            plain.query_params.update(query)
            plain.run()  # (warm-up)
            plain = AppTest.from_file(entry, default_timeout=120)
            plain.switch_page(page)
            plain.query_params.update(query)
            request(label, plain.run, rows)
        st.cache_resource.clear()  # the plain pages' runners go; a new registry for the attacks
        registry = get_registry()
        bystander = make_runner(ToyExperiment(ToyStructure()), Knobs(), slots=registry.slots)
        started.append(bystander)
        pids.append(bystander.pid)
        bystander.play()
        time.sleep(2.0)  # past the first steps' warm-up
        rates["before"] = rate(bystander, args.seconds)

        # 1. the crafted Images link, then Step and Play on it
        t0 = time.perf_counter()
        at = AppTest.from_file(entry, default_timeout=120)
        at.switch_page("pages/2_Images.py")
        at.query_params.update(ATTACK)
        at = request("Images huge link: load", at.run, rows)
        at = request("Images huge link: Step", lambda: at.button(key="im_step").click().run(), rows)
        step_message = errors_of(at)
        at = request("Images huge link: Play", lambda: at.button(key="im_play").click().run(), rows)
        left = args.seconds - (time.perf_counter() - t0)
        rates["huge link"] = rate(bystander, max(left, 2.0))
        token = at.query_params["run"]
        attacker = registry.get(token[0] if isinstance(token, list) else token)
        if attacker is not None and attacker.pid:
            pids.append(attacker.pid)
            attacker_proc = psutil.Process(attacker.pid)
            cpu_marks["after the huge link's window"] = sum(attacker_proc.cpu_times()[:2])

        # 2. the crafted links that exist
        t0 = time.perf_counter()
        dyn = AppTest.from_file(entry, default_timeout=120)
        dyn.switch_page("pages/5_Dynamics.py")
        dyn.query_params.update({"dy_start": "x;" * 8000})
        request("Dynamics link, 8,000 bad starts", dyn.run, rows)
        pg = AppTest.from_file(entry, default_timeout=120)
        pg.switch_page("pages/1_Playground.py")
        pg.query_params.update({f"junk{i}": "1" for i in range(999)})
        request("Playground link, 999 unknown keys", pg.run, rows)
        rates["crafted links"] = rate(bystander, max(args.seconds - (time.perf_counter() - t0), 2.0))

        # 3. the estimate bypassed: the worker's memory limit stops the run
        # (width 64, not 256: the same memory story, a sixteenth of the compute before the limit is hit;
        # no training slot either: this run stands for one the estimate got wrong)
        structure = ImageStructure(image_size=32, channels=3, width=64, noise_dim=256)
        data = ImageDataset(torch.zeros(1797, 3, 32, 32, dtype=torch.uint8), name="blank")
        original = run_guard.check_memory
        run_guard.check_memory = lambda *a: None
        try:
            limit = int(args.limit_gb * 2**30)
            big = make_runner(ImageExperiment(structure, data), Knobs(batch_size=16), slots=None, memory_budget=limit)
            started.append(big)
            pids.append(big.pid)
            big.wait_idle(120)
            big.set_knobs(Knobs(batch_size=4096, d_steps=10))
            worker = Sampler([big.pid])
            t0 = time.perf_counter()
            s0 = bystander.snapshot(with_history=False).step
            big.step()
            deadline = time.monotonic() + 120
            while big.snapshot().state != RunState.ERROR and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(max(0.0, args.seconds - (time.perf_counter() - t0)))
            rates["worker over its limit"] = (bystander.snapshot(with_history=False).step - s0) / (time.perf_counter() - t0)
            worker.stop()
            limit_message = big.snapshot().message or "(no message)"
            limit_seconds = time.perf_counter() - t0
        finally:
            run_guard.check_memory = original
        if attacker_proc is not None:
            cpu_marks["before the after window"] = sum(attacker_proc.cpu_times()[:2])
        rates["after"] = rate(bystander, args.seconds)
    finally:
        for runner in started:
            runner.release()
        st.cache_resource.clear()  # releases the pages' runners
        left = wait_gone([p for p in pids if p])
    base = rates["before"] or 1.0
    print(f"\nbystander (2D run, its own worker): {base:.0f} steps/s before")
    for phase, value in rates.items():
        print(f"  {phase:24s} {value:7.0f} steps/s  ratio {value / base:.2f}")
    print("\nrequest (server process)                 CPU s   wall s   peak RSS growth MB")
    for label, cpu, wall, mb in rows:
        print(f"  {label:38s} {cpu:6.2f}  {wall:6.2f}   {mb:8.1f}")
    print(f"\nStep on the huge link says: {step_message}")
    peak = worker.peak.get(big.pid)  # absent when it ended between two samples
    peak_text = f"{peak / MIB:.0f} MB" if peak is not None else "not sampled (it ended between two samples)"
    print(f"worker over its limit: ended in {limit_seconds:.1f} s, peak RSS {peak_text} "
          f"(its budget {limit / MIB:.0f} MB + {LIMIT_SLACK // MIB} MB slack); its run says: {limit_message[:160]}...")
    print("the huge link's own worker (its nets built and its first grids drawn, outside any slot): "
          + (("CPU s " + ", ".join(f"{v:.1f} {k}" for k, v in cpu_marks.items())) if cpu_marks
             else "none started (a run over the budget gets no trainer and no preview)"))
    print(f"machine's lowest MemAvailable during it: {worker.low_available / 2**30:.1f} GB")
    one, five, _ = os.getloadavg()
    print(f"load average {one:.2f} (5 min {five:.2f}) on {len(os.sched_getaffinity(0))} usable cores; "
          f"trainer processes left: {len(left)}")


if __name__ == "__main__":
    main()
