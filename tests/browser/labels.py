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

# Every kind of label a page draws: buttons (transport, pills, segmented controls), page links,
# checkbox, radio and toggle labels, widget labels above inputs, metric labels and tabs.
EVERY_LABEL = ", ".join((
    "button", "[data-testid='stPageLink'] a", "[data-testid='stCheckbox'] label", "[data-testid='stWidgetLabel']",
    "[data-testid='stRadio'] label", "[data-testid='stMetricLabel']", "[data-baseweb='tab']",
))

_CHART_OVERLAPS = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.offsetParent).map(p => {
  const title = p.querySelector('.gtitle'), legend = p.querySelector('.legend');
  if (!title || !legend || !title.textContent.trim()) return null;
  const a = title.getBoundingClientRect(), b = legend.getBoundingClientRect();
  const hit = b.width > 0 && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  return {title: title.textContent, hit};
}).filter(x => x)"""


def chart_titles(page) -> tuple[list[str], list[str]]:
    """(the titles of the visible plotly charts that have a legend, those the legend runs over)."""
    found = page.evaluate(_CHART_OVERLAPS)
    return [f["title"] for f in found], [f["title"] for f in found if f["hit"]]


def every_cut_label(page) -> list[str]:
    """Every visible label on the page (sidebar included) drawn cut off, each named once."""
    _, clipped = clipped_labels(page, EVERY_LABEL)
    return sorted(set(clipped))
