"""An NVSim/DESTINY-class circuit model of racetrack and 6T SRAM memory arrays.

Area, latency, dynamic energy and leakage of an organisation follow from its
geometry and the technology node (a ``level: circuit`` preset such as
``rtm-32nm``): devices (:mod:`.devices`), wires (:mod:`.wires`), gates and
driver chains (:mod:`.gates`), decoders (:mod:`.decoder`), column periphery
(:mod:`.sensing`), cells (:mod:`.cells`), the subarray (:mod:`.subarray`,
:mod:`.racetrack`, :mod:`.sram`), banks, floorplan and H-tree
(:mod:`.floorplan`), assembled by :func:`array_figures` (:mod:`.figures`);
:func:`optimize_organization` searches organisations (:mod:`.search`).
"""

from rtmcim.memory.circuit.figures import ArrayFigures, array_figures, rtm_array_figures
from rtmcim.memory.circuit.paths import PARTS, PathCost
from rtmcim.memory.circuit.search import TARGETS, optimize_organization
from rtmcim.memory.circuit.sram import SramOrganization

__all__ = [
    "PARTS",
    "TARGETS",
    "ArrayFigures",
    "PathCost",
    "SramOrganization",
    "array_figures",
    "optimize_organization",
    "rtm_array_figures",
]
