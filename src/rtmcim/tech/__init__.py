"""Layer ``tech``: technology presets, validated into frozen :class:`Tech` objects."""

from rtmcim.tech.load import DEFAULT_PRESET, load_tech, preset_names
from rtmcim.tech.model import Tech
from rtmcim.tech.price import (
    ENERGY_CLASSES,
    Cost,
    Prices,
    PriceSource,
    as_prices,
    constant_prices,
    event_energies_pj,
    latency_ns,
    price,
)

__all__ = [
    "DEFAULT_PRESET",
    "ENERGY_CLASSES",
    "Cost",
    "PriceSource",
    "Prices",
    "Tech",
    "as_prices",
    "constant_prices",
    "event_energies_pj",
    "latency_ns",
    "load_tech",
    "preset_names",
    "price",
]
