"""Checks that buttons and links show their whole label (not "Pa…" or a clipped link)."""

from __future__ import annotations

VIEWPORTS = [(1024, 768), (1400, 900)]  # a small laptop and a common one

_CLIPPED = """(selector) => [...document.querySelectorAll(selector)].filter(e => e.offsetParent).map(e => {
  const box = e.querySelector('[data-testid="stMarkdownContainer"]') || e;
  const text = box.querySelector('p') || box;
  const outer = e.getBoundingClientRect(), inner = text.getBoundingClientRect();
  return {label: box.innerText.trim(), clipped: box.scrollWidth > box.clientWidth + 1
          || inner.right > outer.right + 1 || inner.left < outer.left - 1};
})"""


def clipped_labels(page, selector: str) -> tuple[list[str], list[str]]:
    """(every visible label matched by `selector`, those drawn cut off)."""
    found = page.evaluate(_CLIPPED, selector)
    return [f["label"] for f in found], [f["label"] for f in found if f["clipped"]]
