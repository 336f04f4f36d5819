"""What does the class view cost? N live runs trained through the pages' trainer interface
(`make_runner`: a worker process each, as the app runs them), measured with and without the class
view's listing every 2 s, in alternating rounds; and how long one listing takes.

    python benchmarks/bench_class_view.py                        # 30 runs, 4 rounds of 12 s each way
    python benchmarks/bench_class_view.py --runs 4 --seconds 6   # a short smoke run
    python benchmarks/bench_class_view.py --pages                # each run's page open, as in a workshop

Every run trains (the training cap is set to N: every run moving is the listing's worst case, with
a thumbnail to redraw for each). A listing is what the page does every 2 s, less Streamlit's
drawing: `ClassWatch.refresh` over the registry's entries (one snapshot per run without history,
a view only from runs that were training, a thumbnail per run whose view moved; a trainer that has
not answered in 1.5 s shows its last row). No participant page polls here, so every snapshot is
a request to a trainer: the worst case. With `--pages` every run is the playground's default run
with its page open (bench_workshop_room's page threads, refreshing as the page does on a crowded
server), whose recent snapshots the listing uses without asking the trainer. Steps/s is the
runs' total step count over each round's wall time, read the same way in both kinds of round.
Prints each round, the medians, their ratio (target: the listing costs < 5 %), the listing's
time per refresh (median and max; target <= 2 s) and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganlab.kinds.toy_experiment import ToyExperiment  # noqa: E402
from ganlab.settings.config import Knobs, MLPShape, ToyStructure  # noqa: E402
from ganlab.training import RunnerRegistry, TrainingSlots, make_runner, trainer_kind  # noqa: E402
from ganlab.ui.class_rows import ClassWatch  # noqa: E402

REFRESH_S = 2.0  # the page's (ganlab.ui.class_view.REFRESH_S)
CPU_TIMES: list[float] = []  # the listing thread's own CPU time per refresh (its readers' not included)


def load_text() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (5 min {five:.2f}) on {len(os.sched_getaffinity(0))} usable cores"


def total_steps(registry: RunnerRegistry) -> int:
    return sum(e.runner.snapshot(with_history=False).step for e in registry.entries())


def listing_loop(registry: RunnerRegistry, watch: ClassWatch, stop: threading.Event, times: list[float],
                 late: list[int]) -> None:
    while not stop.is_set():
        t0, cpu0 = time.perf_counter(), time.thread_time()
        watch.refresh(registry.entries())
        times.append(time.perf_counter() - t0)
        CPU_TIMES.append(time.thread_time() - cpu0)
        late.append(watch.late)
        stop.wait(max(0.0, REFRESH_S - times[-1]))


def one_round(registry: RunnerRegistry, watch: ClassWatch | None, seconds: float, times: list[float],
              late: list[int]) -> float:
    """The runs' steps/s over `seconds`, with the listing running every 2 s when `watch` is given."""
    stop = threading.Event()
    lister = None
    if watch is not None:
        lister = threading.Thread(target=listing_loop, args=(registry, watch, stop, times, late), daemon=True)
    start, t0 = total_steps(registry), time.perf_counter()
    if lister is not None:
        lister.start()
    time.sleep(seconds)
    stop.set()
    if lister is not None:
        lister.join()
    return (total_steps(registry) - start) / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=4, help="rounds of each kind, alternating")
    parser.add_argument("--seconds", type=float, default=12.0, help="length of one round")
    parser.add_argument("--data", default="grid")
    parser.add_argument("--pages", action="store_true", help="each run's page open, polling its live view")
    args = parser.parse_args()

    room = None
    if args.pages:
        from bench_workshop_room import Room  # this folder is on sys.path when run as a script

        room = Room(poll=0.45)
        registry = room.registry
    else:
        registry = RunnerRegistry(TrainingSlots(args.runs))
    watch: ClassWatch | None = None
    structure = ToyStructure(data=args.data, generator=MLPShape(2, 64), discriminator=MLPShape(2, 64))
    what = "the playground's default runs, each page open" if room else f"2D {args.data}, no page open"
    print(f"{args.runs} runs ({trainer_kind()} trainers), {what}, {load_text()}")
    try:
        if room is not None:
            room.play(args.runs, stagger=0.0)
        for i in range(0 if room else args.runs):
            _, runner = registry.create(f"participant-{i}", lambda slots: make_runner(
                ToyExperiment(structure), Knobs(batch_size=128), slots=slots))
            runner.play()
        deadline = time.monotonic() + 300
        while any(e.runner.snapshot(with_history=False).step == 0 for e in registry.entries()):
            if time.monotonic() > deadline:
                raise SystemExit("the runs did not all start training within 300 s")
            time.sleep(1.0)
        watch, times, late = ClassWatch(), [], []
        watch.refresh(registry.entries())  # the first listing draws every thumbnail once
        without, with_listing = [], []
        for r in range(args.rounds):
            for listing in ((False, True) if r % 2 == 0 else (True, False)):
                rate = one_round(registry, watch if listing else None, args.seconds, times, late)
                (with_listing if listing else without).append(rate)
                print(f"round {r + 1} {'with' if listing else 'without'} the listing: {rate:,.0f} steps/s  ({load_text()})")
        base, listed = statistics.median(without), statistics.median(with_listing)
        print(f"median steps/s without {base:,.0f}, with the listing every {REFRESH_S:g} s {listed:,.0f}: "
              f"ratio {listed / base:.3f} (cost {100 * (1 - listed / base):.1f} %)")
        print(f"listing time per refresh over {len(times)} refreshes: median {1000 * statistics.median(times):.0f} ms, "
              f"90th percentile {1000 * statistics.quantiles(times, n=10)[-1]:.0f} ms, max {1000 * max(times):.0f} ms, "
              f"{sum(t > REFRESH_S for t in times)} over {REFRESH_S:g} s; runs not answering in time per refresh: "
              f"median {statistics.median(late):g}, "
              f"max {max(late)} of {args.runs} (they showed their last row); thumbnails drawn {watch.thumbs.drawn}")
        print(f"the listing thread's CPU time per refresh: median {1000 * statistics.median(CPU_TIMES):.0f} ms")
        print(load_text())
    finally:
        if room is not None:
            room.leave()  # stops the page threads, releases the runs and waits for their workers
        registry.shutdown()
        if watch is not None:
            watch.shutdown()


if __name__ == "__main__":
    main()
