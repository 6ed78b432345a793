"""Distances on the Earth's surface, and how the bot says them."""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine; good to ~0.5 % at any range)."""
    phi1, phi2 = radians(lat1), radians(lat2)
    dphi, dlam = phi2 - phi1, radians(lon2 - lon1)
    h = sin(dphi / 2) ** 2 + cos(phi1) * cos(phi2) * sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_M * asin(min(1.0, sqrt(h)))


def fmt_distance(metres: float) -> str:
    """`约80米` (to 10 m), `约1.2公里` from a kilometre on (to 100 m)."""
    if metres < 10:
        return "不足10米"
    if metres < 995:
        return f"约{int(round(metres, -1))}米"
    km = round(metres / 1000, 1)
    return f"约{km:g}公里"
