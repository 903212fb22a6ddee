"""Area and money units used in Chinese land planning.

1 亩 = 10000/15 m²; 1 公顷 = 15 亩 = 10 000 m²; 1 km² = 100 公顷 = 1500 亩;
1 亿元 = 10 000 万元. Intensities: 亿元/km² × (10000/1500) = 万元/亩.
"""

from __future__ import annotations

import math

__all__ = [
    "M2_PER_HA",
    "M2_PER_KM2",
    "M2_PER_MU",
    "MU_PER_HA",
    "MU_PER_KM2",
    "WAN_PER_YI",
    "fmt_sig",
    "km2_to_mu",
    "m2_to_ha",
    "m2_to_km2",
    "m2_to_mu",
    "mu_to_km2",
    "mu_to_m2",
    "wan_per_mu_to_yi_per_km2",
    "yi_per_km2_to_wan_per_mu",
]

M2_PER_MU = 10000.0 / 15.0
M2_PER_HA = 10000.0
M2_PER_KM2 = 1_000_000.0
MU_PER_HA = 15.0
MU_PER_KM2 = 1500.0
WAN_PER_YI = 10000.0


def m2_to_mu(area_m2: float) -> float:
    """Square metres to 亩."""
    return area_m2 / M2_PER_MU


def mu_to_m2(area_mu: float) -> float:
    """亩 to square metres."""
    return area_mu * M2_PER_MU


def m2_to_ha(area_m2: float) -> float:
    """Square metres to 公顷 (hectares)."""
    return area_m2 / M2_PER_HA


def m2_to_km2(area_m2: float) -> float:
    """Square metres to km²."""
    return area_m2 / M2_PER_KM2


def mu_to_km2(area_mu: float) -> float:
    """亩 to km²."""
    return area_mu / MU_PER_KM2


def km2_to_mu(area_km2: float) -> float:
    """km² to 亩."""
    return area_km2 * MU_PER_KM2


def yi_per_km2_to_wan_per_mu(value: float) -> float:
    """亿元/km² to 万元/亩 (50 亿元/km² ≈ 333.3 万元/亩)."""
    return value * WAN_PER_YI / MU_PER_KM2


def wan_per_mu_to_yi_per_km2(value: float) -> float:
    """万元/亩 to 亿元/km²."""
    return value * MU_PER_KM2 / WAN_PER_YI


def fmt_sig(v: float, *, sig: int = 3) -> str:
    """``v`` with thousands separators and two decimals, or more for ``sig`` significant digits.

    ``1234.5`` → ``"1,234.50"``; ``0.0015`` → ``"0.00150"``; ``0`` → ``"0.00"``. Used
    for areas in text output, so that a 1 m² plot shows as 0.00150 亩, not 0.00 亩.
    """
    if not math.isfinite(v):
        return "-"
    decimals = 2
    if v != 0:
        decimals = max(2, sig - 1 - math.floor(math.log10(abs(v))))
    return f"{v:,.{decimals}f}"
