"""The accelerator configuration: technology, memory organisation and compute.

An arch file (YAML; shipped ones under ``configs/arch/``)::

    name: default
    tech: rtm-32nm                # preset name or preset .yaml path (the default)
    tech_overrides: {}            # e.g. {lim.eval_energy_pj: 0.05}
    memory:                       # a memory organisation (see rtmcim.memory.organization)
      banks: 2
      subarrays_per_bank: 8
      mu_rows: 8
      mu_cols: 8
      mu: {domains: 64, ports: 2, tracks: 32}
    compute:
      pe_placement: subarray      # mu | subarray | bank: where PEs sit
      pes_per_unit: 4             # PEs per placement unit (they share its MUs)
      multiplier: booth_r4        # MAC multiplier: shift_add | booth_r2 | booth_r4 | wallace | lut (<= 4 bits)
      adder: ripple_carry         # MAC accumulator adder: ripple_carry | bit_serial
      word_layout: bit_parallel   # bit_parallel (a word across tracks) | bit_serial (along a track)
      data_layout: snake          # snake (back and forth, no rewind) | sequential (rewinds)
      activation_fraction: 0.25   # share of each PE's MUs holding activations
      residual_add: cmos          # residual adds: cmos (periphery adder) | memory (the PEs' adders)

Validation happens once here; unknown keys, out-of-range values and names
that are not circuits raise :class:`~rtmcim.errors.ConfigError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from rtmcim import yamlio
from rtmcim.circuits.mac import check_mac_cells
from rtmcim.config import Frozen, set_dotted, validate
from rtmcim.memory.address_map import AddressMap, covers_if_valid
from rtmcim.memory.organization import Organization, PricedMemory
from rtmcim.tech import DEFAULT_PRESET, Tech, load_tech

Placement = Literal["mu", "subarray", "bank"]
WordLayout = Literal["bit_parallel", "bit_serial"]
DataLayout = Literal["snake", "sequential"]


class ComputeConfig(Frozen):
    """Where the PEs (MAC cells) sit and what they are built of."""

    pe_placement: Placement = "subarray"
    pes_per_unit: int = Field(default=1, ge=1, le=1024)
    multiplier: str = "booth_r4"
    adder: str = "ripple_carry"
    word_layout: WordLayout = "bit_parallel"
    data_layout: DataLayout = "snake"
    activation_fraction: float = Field(default=0.25, gt=0.0, lt=1.0)
    residual_add: Literal["cmos", "memory"] = "cmos"


class ArchConfig(Frozen):
    name: str = "custom"
    description: str = ""
    tech: str = DEFAULT_PRESET
    tech_overrides: dict[str, Any] = Field(default_factory=dict)
    memory: Organization
    compute: ComputeConfig = Field(default_factory=ComputeConfig)
    address_map: AddressMap = Field(default_factory=AddressMap)  # for traces on this memory

    @field_validator("address_map")
    @classmethod
    def _map_covers_memory(cls, v: AddressMap, info: ValidationInfo) -> AddressMap:
        return covers_if_valid(v, info.data, "memory")

    @model_validator(mode="after")
    def _pes_share_units_evenly(self) -> Self:
        per_unit = {
            "mu": 1,
            "subarray": self.memory.mus_in_subarray,
            "bank": self.memory.mus_in_subarray * self.memory.subarrays_per_bank,
        }[self.compute.pe_placement]
        if per_unit % self.compute.pes_per_unit:
            raise ValueError(
                f"compute.pes_per_unit = {self.compute.pes_per_unit} must divide the "
                f"{per_unit} MUs of a {self.compute.pe_placement}"
            )
        return self


@dataclass(frozen=True)
class Arch(PricedMemory):
    """A validated arch config with its technology and provenance.

    The derived counts (PEs, MUs and words per PE, capacities) are computed
    once here: cost models read them at every hardware point of a sweep.
    """

    config: ArchConfig
    tech: Tech
    source: str
    units: int = field(init=False, repr=False, compare=False)  # placement units on the chip
    pes: int = field(init=False, repr=False, compare=False)
    mus_per_pe: int = field(init=False, repr=False, compare=False)
    words_per_pe: int = field(init=False, repr=False, compare=False)  # words in one PE's MUs
    weight_words_per_pe: int = field(init=False, repr=False, compare=False)
    activation_bits: int = field(init=False, repr=False, compare=False)  # all PEs' regions

    def __post_init__(self) -> None:
        o, c = self.config.memory, self.config.compute
        check_mac_cells(c.multiplier, c.adder, prefix="compute.", source=self.source)
        units = {"mu": o.mus, "subarray": o.subarrays, "bank": o.banks}[c.pe_placement]
        pes = units * c.pes_per_unit
        mus_per_pe = o.mus // pes
        words = mus_per_pe * o.mu.domains
        weight_words = int(words * (1.0 - c.activation_fraction))
        for name, value in (
            ("units", units),
            ("pes", pes),
            ("mus_per_pe", mus_per_pe),
            ("words_per_pe", words),
            ("weight_words_per_pe", weight_words),
            ("activation_bits", (words - weight_words) * pes * o.mu.tracks),
        ):
            object.__setattr__(self, name, value)

    @property
    def org(self) -> Organization:
        return self.config.memory

    @property
    def compute(self) -> ComputeConfig:
        return self.config.compute


def arch_names() -> list[str]:
    """Names of the accelerators shipped under ``configs/arch``."""
    return yamlio.shipped_names("rtmcim", "configs/arch")


def arch_from_dict(data: Any, source: str = "<dict>", base: Path | None = None) -> Arch:
    """Validate and build an arch from parsed data (notebooks, sweeps)."""
    cfg = validate(ArchConfig, data, source)
    tech_ref: str | Path = cfg.tech
    if (
        base is not None
        and cfg.tech.endswith((".yaml", ".yml"))
        and not Path(cfg.tech).is_absolute()
    ):
        rel = base / cfg.tech
        if rel.exists():
            tech_ref = rel
    return Arch(cfg, load_tech(tech_ref, cfg.tech_overrides or None), source)


def build_arch(base: Arch, overrides: dict[str, Any], source: str = "<sweep>") -> Arch:
    """The base arch with dotted ``overrides`` applied (``{"memory.mu.ports": 4}``); its
    technology object is shared. Setting ``memory.mu_rows``/``mu_cols`` drops the base's
    ``mus_per_subarray`` and the other way round."""
    data = base.config.model_dump(mode="json")
    if any(k.startswith("memory.mu_rows") or k.startswith("memory.mu_cols") for k in overrides):
        data["memory"].pop("mus_per_subarray", None)
    if "memory.mus_per_subarray" in overrides:
        data["memory"].pop("mu_rows", None)
        data["memory"].pop("mu_cols", None)
    for k, v in overrides.items():
        set_dotted(data, k, v)
    return Arch(validate(ArchConfig, data, source), base.tech, source)


def load_arch(name_or_path: str | Path = "default") -> Arch:
    """A shipped arch by name (``default``, ...) or an arch YAML file."""
    data, source, path = yamlio.load_named("rtmcim", "configs/arch", name_or_path, "arch", "--arch")
    return arch_from_dict(data, source, path.parent if path is not None else None)
