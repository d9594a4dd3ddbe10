"""Layer ``memory``: racetrack position state and shift counting, macro units,
subarray/bank/chip organisation, its circuits (:mod:`rtmcim.memory.circuit`) and
costs, the price table of an organisation, address maps, and an access-trace
runner with an in-order and an FR-FCFS (RTSim) controller."""

from rtmcim.memory.address_map import AddressMap, Location
from rtmcim.memory.controller import CONTROLLERS, CommandTiming, ControllerKind, FrFcfs
from rtmcim.memory.costs import (
    AccessTallies,
    AreaBreakdown,
    access_tallies,
    area_breakdown,
    htree_mm,
    leakage_mw,
    logic_leakage_mw,
)
from rtmcim.memory.macro_unit import (
    MuArea,
    MuGeometry,
    mu_area,
    shift_tally,
    word_read_tally,
    word_write_tally,
)
from rtmcim.memory.organization import (
    Memory,
    MemoryConfig,
    Organization,
    expected_random_shift_steps,
    load_memory,
    memory_from_dict,
)
from rtmcim.memory.pricing import prices_for
from rtmcim.memory.report import AccessPath, MemoryReport, memory_report
from rtmcim.memory.trace import (
    Accesses,
    TraceResult,
    map_addresses,
    parse_trace_text,
    read_trace,
    run_trace,
    run_trace_file,
)
from rtmcim.memory.trace_parse import COMPAT_MODES, Compat
from rtmcim.memory.track import (
    PORT_POLICIES,
    UPDATE_POLICIES,
    PortPolicy,
    Track,
    UpdatePolicy,
    overhead_domains,
    shift_steps_vectorized,
)

__all__ = [
    "COMPAT_MODES",
    "CONTROLLERS",
    "PORT_POLICIES",
    "UPDATE_POLICIES",
    "AccessPath",
    "AccessTallies",
    "Accesses",
    "AddressMap",
    "AreaBreakdown",
    "CommandTiming",
    "Compat",
    "ControllerKind",
    "FrFcfs",
    "Location",
    "Memory",
    "MemoryConfig",
    "MemoryReport",
    "MuArea",
    "MuGeometry",
    "Organization",
    "PortPolicy",
    "TraceResult",
    "Track",
    "UpdatePolicy",
    "access_tallies",
    "area_breakdown",
    "expected_random_shift_steps",
    "htree_mm",
    "leakage_mw",
    "load_memory",
    "logic_leakage_mw",
    "map_addresses",
    "memory_from_dict",
    "memory_report",
    "mu_area",
    "overhead_domains",
    "parse_trace_text",
    "prices_for",
    "read_trace",
    "run_trace",
    "run_trace_file",
    "shift_steps_vectorized",
    "shift_tally",
    "word_read_tally",
    "word_write_tally",
]
