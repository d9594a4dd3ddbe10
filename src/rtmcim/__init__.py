"""rtmcim: racetrack-memory in-memory computing for CNN inference.

Layers (top imports bottom only): tech -> memory -> circuits -> nn -> mapping
-> engine -> baselines -> explore -> report -> cli. See DESIGN.md.
"""

__version__ = "0.1.0"

from rtmcim.errors import CapacityError, ConfigError, DataError, RtmcimError
from rtmcim.tally import Tally

__all__ = ["CapacityError", "ConfigError", "DataError", "RtmcimError", "Tally", "__version__"]
