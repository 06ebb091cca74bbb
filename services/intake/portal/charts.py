"""The dashboard's charts: SVG drawn on the server (drawsvg) and inlined in the page.

Presentation attributes only (fill=, stroke=, font-size=), never a <style> element, a
style= attribute or a script: the pages' Content-Security-Policy refuses inline style and
script. Each chart is an image with an accessible name (role="img", named by its <title>);
the page puts the same figures in a table beside it, for those who cannot see the chart.
Labels come in already translated and formatted.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import drawsvg as draw
from markupsafe import Markup

# The portal's palette (pintu.css), each at least 4.5:1 on white.
INK = "#0b0c0c"
BAR = "#1d4ed8"
TARGET = "#b10e1e"
RULE = "#505a5f"
FONT = "system-ui, -apple-system, Roboto, Arial, sans-serif"
WIDTH = 640


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as the reader reads it: "87,5%", "1.204"


def _drawing(chart_id: str, title: str, height: float) -> draw.Drawing:
    drawing = draw.Drawing(
        WIDTH,
        height,
        id_prefix=chart_id,
        role="img",
        aria_labelledby=f"{chart_id}-title",
        font_family=FONT,
    )
    drawing.append(draw.Title(title, id=f"{chart_id}-title"))
    return drawing


def _svg(drawing: draw.Drawing) -> Markup:
    # No XML declaration (it is inlined in HTML), no CSS, no script.
    svg: str = drawing.as_svg(header="", skip_js=True, skip_css=True)
    return Markup(svg)  # drawsvg escapes every text and attribute it writes


def horizontal_bars(
    chart_id: str,
    title: str,
    bars: Sequence[Bar],
    maximum: float,
    target: float | None = None,
    target_label: str | None = None,
) -> Markup:
    """A bar per row, its label above it and its value after it, against `maximum`; with
    `target`, a dashed line across every bar there, labelled `target_label` at the top."""
    left, right, top, row = 8.0, 64.0, 32.0, 40.0
    plot = WIDTH - left - right
    height = top + row * len(bars) + 8
    drawing = _drawing(chart_id, title, height)
    scale = maximum if maximum > 0 else 1.0
    for n, bar in enumerate(bars):
        y = top + n * row
        length = max(0.0, min(bar.value, scale)) / scale * plot
        drawing.append(draw.Text(bar.label, 13, left, y + 13, fill=INK))
        if length > 0:
            drawing.append(draw.Rectangle(left, y + 18, length, 14, fill=BAR))
        drawing.append(draw.Text(bar.text, 12, left + length + 4, y + 30, fill=INK))
    drawing.append(draw.Line(left, top, left, height - 8, stroke=RULE, stroke_width=1))
    if target is not None:
        x = left + min(target, scale) / scale * plot
        drawing.append(
            draw.Line(
                x, top - 8, x, height - 4, stroke=TARGET, stroke_width=2, stroke_dasharray="6 3"
            )
        )
        if target_label:
            drawing.append(
                draw.Text(target_label, 12, x, top - 14, fill=TARGET, text_anchor="middle")
            )
    return _svg(drawing)


def columns(chart_id: str, title: str, bars: Sequence[Bar], height: float = 260) -> Markup:
    """A column per bar, left to right (months, oldest first): its value above it, its label
    below the baseline (a line per "\\n", so "Mar\\n2026" fits a narrow column)."""
    left, right, top, bottom = 8.0, 8.0, 24.0, 44.0
    plot_height = height - top - bottom
    slot = (WIDTH - left - right) / max(len(bars), 1)
    drawing = _drawing(chart_id, title, height)
    scale = max((bar.value for bar in bars), default=0.0) or 1.0
    baseline = top + plot_height
    for n, bar in enumerate(bars):
        centre = left + slot * (n + 0.5)
        length = max(0.0, bar.value) / scale * plot_height
        if length > 0:
            drawing.append(
                draw.Rectangle(centre - slot * 0.3, baseline - length, slot * 0.6, length, fill=BAR)
            )
        drawing.append(
            draw.Text(bar.text, 11, centre, baseline - length - 4, fill=INK, text_anchor="middle")
        )
        drawing.append(
            draw.Text(bar.label, 11, centre, baseline + 15, fill=INK, text_anchor="middle")
        )
    drawing.append(draw.Line(left, baseline, WIDTH - right, baseline, stroke=RULE, stroke_width=1))
    return _svg(drawing)
