"""Small inline SVG line charts, drawn on the server: the dashboard needs no script and no chart library."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

WIDTH = 120
HEIGHT = 32
PADDING = 3


def sparkline(values: Sequence[int], *, label: str) -> Markup:
    """Return an SVG polyline of the values (oldest first), its last point marked; ``label`` names it for readers."""
    if not values:
        return Markup("")
    top = max(max(values), 1)
    step = (WIDTH - 2 * PADDING) / max(len(values) - 1, 1)
    points = [
        (PADDING + index * step, HEIGHT - PADDING - (value / top) * (HEIGHT - 2 * PADDING))
        for index, value in enumerate(values)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    last_x, last_y = points[-1]
    return Markup(
        '<svg class="spark" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{label}">'
        '<polyline points="{path}" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/>'
        '<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="currentColor"/></svg>'
    ).format(w=WIDTH, h=HEIGHT, label=label, path=path, x=last_x, y=last_y)
