"""No code outside ganlab/kinds tests which kind of GAN it has: it asks the kind (issue 14)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KIND_NAMES = r'"(?:toy|image)"'
SWITCH = re.compile("|".join((
    rf"(?:==|!=)\s*{KIND_NAMES}", rf"{KIND_NAMES}\s*(?:==|!=)",  # kind == "toy"
    r"\bkind\s+(?:not\s+)?in\s+\(",  # kind in ("toy", ...)
    r"isinstance\([^)]*\b(?:Toy|Image)(?:Structure|Experiment)\b",  # isinstance(s, ImageStructure)
    r"getattr\([^)]*[\"']kind[\"']",  # getattr(experiment, "kind", None)
)))
# Reading the first ganlab run format, which only 2D runs had, is a fact of that format.
ALLOWED = {("ganlab/runs/store.py", 'config.get("kind") == "toy" and "ganlab_version" in config')}


def switches(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if SWITCH.search(line)]


def test_the_detector_finds_each_form_of_switch():
    samples = ['if experiment.kind == "toy":', 'x = 1 if "image" != kind else 2', 'if kind not in ("toy",):',
               "if isinstance(s, ImageStructure):", 'getattr(experiment, "kind", None)']
    assert [switches(s) for s in samples] == [[s] for s in samples]
    assert switches('if kind == "uniform":\nif runner.kind == "thread":') == []


def test_no_kind_switch_outside_the_kinds_package():
    found = []
    for path in sorted((ROOT / "ganlab").rglob("*.py")) + sorted((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]:
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("ganlab/kinds/"):
            continue
        for line in switches(path.read_text()):
            if not any(rel == f and snippet in line for f, snippet in ALLOWED):
                found.append(f"{rel}: {line}")
    assert found == []
