"""Scale bar, numeric scale and north arrow of printed maps, for axes in a projected CRS.

The map is drawn in EPSG:4545 (CGCS2000 3° Gauss-Krüger zone 36, metres). One grid metre is
not exactly one metre on the ground away from the central meridian (108°E); the scale bar's
length in grid units is the ground length times the projection's point scale factor at the
bar (pyproj ``Proj.get_factors``), and the north arrow is turned by the meridian convergence
at the map's centre, so it points to true north.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

from pyproj import CRS, Proj, Transformer

__all__ = [
    "NICE_SCALES",
    "ScaleBar",
    "draw_north_arrow",
    "draw_scale_bar",
    "nice_length_m",
    "nice_scale",
    "scale_bar",
    "true_north_deg",
]

NICE_SCALES: Final = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)


def nice_scale(ratio: float) -> int:
    """The smallest "round" scale denominator ≥ ``ratio`` (1:250 000, 1:300 000, …)."""
    if not ratio > 0:
        raise ValueError(f"scale ratio must be positive, got {ratio!r}")
    exp = math.floor(math.log10(ratio))
    for e in (exp, exp + 1):
        for m in NICE_SCALES:
            value = m * 10**e
            if value >= ratio * (1 - 1e-12):
                return round(value)
    raise AssertionError("unreachable")  # pragma: no cover


def nice_length_m(max_m: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ metres not above ``max_m``."""
    if not max_m > 0:
        raise ValueError(f"length must be positive, got {max_m!r}")
    exp = math.floor(math.log10(max_m))
    for m in (5.0, 2.0, 1.0):
        if m * 10**exp <= max_m:
            return m * 10**exp
    return 10.0**exp  # pragma: no cover


@dataclass(frozen=True)
class ScaleBar:
    """Where a scale bar lies and what it says.

    Attributes
    ----------
    x0, y0, x1
        Start, baseline and end of the bar in map (grid) units.
    length_m
        The ground length the bar stands for (metres).
    segments
        Number of alternating black/white segments.
    label
        The distance label (``"10 km"``).
    """

    x0: float
    y0: float
    x1: float
    length_m: float
    segments: int
    label: str


def _fmt_km(m: float) -> str:
    return f"{m / 1000:g} km" if m >= 1000 else f"{m:g} m"


def scale_bar(
    xlim: tuple[float, float], ylim: tuple[float, float], *, crs: Any, fraction: float = 0.25
) -> ScaleBar:
    """A scale bar at the lower left of the view, about ``fraction`` of its width long.

    Parameters
    ----------
    xlim, ylim
        The view in ``crs`` units (metres of a projected CRS).
    crs
        The projected CRS of the view.
    fraction
        Longest bar as a fraction of the view's width.
    """
    crs = CRS.from_user_input(crs)
    x0 = xlim[0] + 0.05 * (xlim[1] - xlim[0])
    y0 = ylim[0] + 0.06 * (ylim[1] - ylim[0])
    to_ll = Transformer.from_crs(crs, 4326, always_xy=True)
    lon, lat = to_ll.transform(x0, y0)
    factors = Proj(crs).get_factors(lon, lat)
    k = float(factors.parallel_scale)  # grid metres per ground metre, east-west
    length = nice_length_m(fraction * (xlim[1] - xlim[0]) / k)
    first = f"{length:g}"[0]
    segments = 5 if first == "5" else (4 if first == "2" else 5)
    return ScaleBar(x0, y0, x0 + length * k, length, segments, _fmt_km(length))


def true_north_deg(x: float, y: float, *, crs: Any) -> float:
    """Angle (degrees, counter-clockwise from grid north) of true north at ``(x, y)``."""
    crs = CRS.from_user_input(crs)
    lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform(x, y)
    # pyproj's meridian convergence: angle from true north to grid north, clockwise positive
    return float(Proj(crs).get_factors(lon, lat).meridian_convergence)


def draw_scale_bar(ax: Any, bar: ScaleBar, *, fontsize: float = 8) -> None:
    """Draw ``bar`` (alternating segments, 0 and the length written under them)."""
    from matplotlib.patches import Rectangle

    height = 0.012 * (ax.get_ylim()[1] - ax.get_ylim()[0])
    step = (bar.x1 - bar.x0) / bar.segments
    for i in range(bar.segments):
        ax.add_patch(
            Rectangle(
                (bar.x0 + i * step, bar.y0),
                step,
                height,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.6,
                zorder=20,
            )
        )
    kw = {"fontsize": fontsize, "zorder": 21, "va": "top", "ha": "center"}
    ax.text(bar.x0, bar.y0 - 0.4 * height, "0", **kw)
    ax.text(bar.x1, bar.y0 - 0.4 * height, bar.label, **kw)


def draw_north_arrow(ax: Any, *, crs: Any, letter: str = "N", fontsize: float = 11) -> float:
    """A north arrow at the upper right of the axes, turned to true north; returns the angle."""
    from matplotlib.patches import Polygon

    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    cx = (xlim[0] + xlim[1]) / 2
    cy = (ylim[0] + ylim[1]) / 2
    angle = true_north_deg(cx, cy, crs=crs)
    span = ylim[1] - ylim[0]
    size = 0.07 * span
    ax_x = xlim[1] - 0.06 * (xlim[1] - xlim[0])
    ax_y = ylim[1] - 0.16 * span
    # arrow shape around (0, 0): tip up; left half black, right half white
    tip, base, half, notch = (0.0, size / 2), -size / 2, size * 0.28, -size * 0.3
    left = [(0.0, tip[1]), (-half, base), (0.0, notch)]
    right = [(0.0, tip[1]), (half, base), (0.0, notch)]
    rad = math.radians(angle)  # counter-clockwise = towards the west of grid north
    c, s = math.cos(rad), math.sin(rad)

    def place(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(ax_x + px * c - py * s, ax_y + px * s + py * c) for px, py in pts]

    ax.add_patch(
        Polygon(place(left), closed=True, facecolor="black", edgecolor="black", lw=0.8, zorder=20)
    )
    ax.add_patch(
        Polygon(place(right), closed=True, facecolor="white", edgecolor="black", lw=0.8, zorder=20)
    )
    ((lx, ly),) = place([(0.0, tip[1] + size * 0.25)])
    ax.text(lx, ly, letter, ha="center", va="center", fontsize=fontsize, zorder=21)
    return angle
