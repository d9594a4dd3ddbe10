"""The co-exploration search space (YAML, validated once, here).

A space file has a model half (searched by the outer optimizer; every model is
trained once with QAT and cached), a hardware half (swept exhaustively for
every model), the objectives and the constraints::

    name: default
    dataset: fashion-mnist
    sampler: nsga2                 # nsga2 | random | grid
    budget: 14                     # model candidates (outer trials)
    population: 6                  # NSGA-II population size
    training: {epochs: 2, qat_epochs: 1, train_subset: 12000}
    model:                         # a parametric CNN: depth conv blocks (conv -> ReLU -> max pool),
      wbits: [4, 8]                # block i has channels * 2**i channels, all blocks one kernel size,
      abits: [4, 8]                # then one hidden FC layer of fc units (0: none), then the classifier
      depth: [1, 2]
      channels: [4, 8]
      kernel: [3, 5]
      fc: [0, 64]
      # stage_wbits: [[8], [8, 4]] # optional: widths per stage (explore.stage_bits); stage_abits
    hardware:
      base: default                # arch name or arch .yaml; the sweep overrides its keys
      sweep:
        memory.mu.domains: [32, 64]
        memory.mu.ports: [1, 2, 4]
        compute.multiplier: [booth_r4, shift_add]
    objectives: [accuracy, energy, latency, area]     # optional: edp, tops_per_w
    constraints: {area_budget_mm2: 5.0, accuracy_floor: 0.5, peak_power_mw: 500}
    reference: {model: lenet5, wbits: 8, abits: 8, arch: default}
    faults:                        # optional: enables the fault_accuracy objective
      rates: shift=1e-3            # as 'simulate --faults': shift, read, write rates per event
      mitigation: none             # none | position_check[:N] | tmr_msb[:B] | both joined by '+'
      images: 300                  # first N test images (bit-exact engine: keep it small)
      seed: 0                      # seed of the fault draws
    fidelity:                      # optional: multi-fidelity screening (explore.fidelity)
      rungs: [{epochs: 4, qat_epochs: 2}]   # fidelities above `training`, lowest first
      eta: 2
      margin: 0.02

Without a ``faults`` section nothing about a space changes (its content hash
included). With one, every model is also run on the bit-exact engine with
faults injected, once, on the base arch of the hardware half (the reference
on its reference arch), not on every hardware point: that would cost the
engine run times the sweep size.

Bad input raises a one-line :class:`~rtmcim.errors.ConfigError` naming the key:
unknown keys, empty lists, sweep keys the arch does not have, values the arch
rejects, objective names that do not exist, a hardware half in which no
combination is a valid arch (a contradictory space), bad fault rates or
mitigations, and ``fault_accuracy`` as an objective without a ``faults`` section.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import Field, field_validator, model_validator

from rtmcim import yamlio
from rtmcim.config import Frozen, validate
from rtmcim.errors import ConfigError, RtmcimError
from rtmcim.explore.fidelity import FidelityConfig
from rtmcim.explore.objectives import CORE_OBJECTIVES, OBJECTIVES, Direction
from rtmcim.explore.stage_bits import (
    STAGE_KEYS,
    block_bits,
    check_choices,
    check_lengths,
    encode,
    name_suffix,
    per_stage,
)
from rtmcim.mapping.arch import Arch, build_arch, load_arch
from rtmcim.nn.spec import MAX_BITS, MIN_BITS, NetSpec, content_hash, parse_spec

if TYPE_CHECKING:
    from rtmcim.engine.faults import FaultConfig, Mitigation

SAMPLERS = ("nsga2", "random", "grid")

# Dotted arch keys a sweep may set (the arch model's own fields).
SWEEP_KEYS = (
    "memory.banks",
    "memory.subarrays_per_bank",
    "memory.mus_per_subarray",
    "memory.mu_rows",
    "memory.mu_cols",
    "memory.mu.domains",
    "memory.mu.ports",
    "memory.mu.tracks",
    "memory.port_policy",
    "memory.update_policy",
    "compute.pe_placement",
    "compute.pes_per_unit",
    "compute.multiplier",
    "compute.adder",
    "compute.word_layout",
    "compute.data_layout",
    "compute.activation_fraction",
    "compute.residual_add",
)


def _non_empty_unique(v: Any) -> Any:
    if isinstance(v, list | tuple):
        if not v:
            raise ValueError("list is empty: give at least one value")
        if len({repr(x) for x in v}) != len(v):
            raise ValueError("list repeats a value")
    return v


MAX_HW_POINTS = 100_000
"""Hardware points a sweep may span (the default space has 48; each model visits all)."""


class TrainingConfig(Frozen):
    """How each candidate is trained (all part of the model cache key)."""

    epochs: int = Field(default=2, ge=0, le=200)
    qat_epochs: int = Field(default=1, ge=0, le=200)
    train_subset: int | None = Field(default=None, ge=100, le=10**7)
    batch_size: int = Field(default=128, ge=8, le=4096)
    lr: float = Field(default=2e-3, gt=0, le=1.0)
    qat_lr: float = Field(default=5e-4, gt=0, le=1.0)


FAMILIES = ("plain", "resnet", "mobilenet")


class ModelSpace(Frozen):
    """The model half: choices for each spec parameter (a parametric CNN of a family).

    ``family``: ``plain`` (conv -> ReLU -> max pool blocks), ``resnet`` (a conv stem, then
    ``depth`` residual stages of ``channels * 2**i``, strides 1, 2, 2, ..., global average
    pooling) or ``mobilenet`` (a conv stem, then ``depth`` depthwise-separable blocks of
    ``channels * 2**(i+1)``, stride 2, ReLU6, global average pooling); ``fc`` hidden units
    before the classifier in every family.

    ``stage_wbits`` / ``stage_abits`` (optional, :mod:`rtmcim.explore.stage_bits`): choices of
    per-stage widths, each a list with one width per stage (the i-th conv block, residual
    stage or separable block), its last width repeated for deeper models, e.g.
    ``stage_wbits: [[8], [8, 4]]``; the stem, hidden FC layers and classifier keep the point's
    ``wbits``/``abits``. The optimizer sees a choice as text (``"8-4"``); a model with stage
    widths is named for them (``resnet-d2c8k3f0-w84``). Absent, a space proposes what it did
    before they existed.
    """

    family: tuple[Literal["plain", "resnet", "mobilenet"], ...] = ("plain",)
    wbits: tuple[int, ...] = (8,)
    abits: tuple[int, ...] = (8,)
    depth: tuple[int, ...] = (2,)
    channels: tuple[int, ...] = (8,)
    kernel: tuple[int, ...] = (3,)
    fc: tuple[int, ...] = (64,)
    stage_wbits: tuple[tuple[int, ...], ...] | None = None
    stage_abits: tuple[tuple[int, ...], ...] | None = None

    @model_validator(mode="before")
    @classmethod
    def _stage_widths(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(k in data for k in STAGE_KEYS):
            data = {**data, **{k: check_choices(k, data[k]) for k in STAGE_KEYS if k in data}}
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> Any:
        return _non_empty_unique(v)

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        rules: dict[str, tuple[int, int]] = {
            "wbits": (MIN_BITS, MAX_BITS),
            "abits": (MIN_BITS, MAX_BITS),
            "depth": (1, 4),
            "channels": (1, 256),
            "kernel": (1, 7),
            "fc": (0, 4096),
        }
        for key, (lo, hi) in rules.items():
            for i, v in enumerate(getattr(self, key)):
                if not lo <= v <= hi:
                    raise ValueError(f"model.{key}.{i} = {v} is out of range (allowed: {lo}..{hi})")
        for key in STAGE_KEYS:
            check_lengths(key, getattr(self, key) or (), max(self.depth))
        return self

    def choices(self) -> dict[str, list[Any]]:
        """Each parameter's values; ``family`` only when it is not plain alone, the stage widths
        only when given (so a space without them proposes the parameters it always did), each
        stage-width choice as text (``"8-4"``: the optimizer takes primitives only)."""
        out: dict[str, list[Any]] = {}
        for k in type(self).model_fields:
            v = getattr(self, k)
            if (k == "family" and v == ("plain",)) or v is None:
                continue
            out[k] = [encode(c) for c in v] if k in STAGE_KEYS else list(v)
        return out


class HardwareSpace(Frozen):
    base: str = "default"
    sweep: dict[str, tuple[Any, ...]] = Field(default_factory=dict)

    @field_validator("sweep", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> Any:
        if isinstance(v, dict):
            for key, vals in v.items():
                if key not in SWEEP_KEYS:
                    raise ValueError(
                        f"hardware.sweep.{key}: not an arch key (allowed: {', '.join(SWEEP_KEYS)})"
                    )
                if not isinstance(vals, list | tuple):
                    raise ValueError(f"hardware.sweep.{key}: give a list of values")
                _non_empty_unique(vals)
        return v

    @model_validator(mode="after")
    def _bounded(self) -> Self:
        if self.size > MAX_HW_POINTS:
            raise ValueError(
                f"hardware.sweep spans {self.size:,} points (allowed: at most {MAX_HW_POINTS:,}; "
                "each model is evaluated at every point)"
            )
        return self

    @property
    def size(self) -> int:
        n = 1
        for vals in self.sweep.values():
            n *= len(vals)
        return n


class Constraints(Frozen):
    area_budget_mm2: float | None = Field(default=None, gt=0)
    accuracy_floor: float | None = Field(default=None, ge=0, le=1)
    peak_power_mw: float | None = Field(default=None, gt=0)


class Reference(Frozen):
    """The default design every result is compared with."""

    model: str = "lenet5"
    wbits: int = Field(default=8, ge=MIN_BITS, le=MAX_BITS)
    abits: int = Field(default=8, ge=MIN_BITS, le=MAX_BITS)
    arch: str = "default"


class FaultsConfig(Frozen):
    """Faults under which ``fault_accuracy`` is measured (rates and mitigation as text, checked
    by :func:`space_from_dict` with the engine's own parsers)."""

    rates: str = Field(min_length=1)
    mitigation: str = "none"
    images: int = Field(default=300, ge=1, le=100000)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)

    def fault_config(self) -> FaultConfig:
        from rtmcim.engine.faults import FaultConfig

        return FaultConfig.parse(self.rates, key="faults.rates")

    def mitigation_config(self) -> Mitigation:
        from rtmcim.engine.faults import Mitigation

        return Mitigation.parse(self.mitigation, key="faults.mitigation")


class SpaceConfig(Frozen):
    name: str = Field(default="space", min_length=1, max_length=64)
    description: str = ""
    dataset: str = "fashion-mnist"
    sampler: Literal["nsga2", "random", "grid"] = "nsga2"
    budget: int = Field(default=12, ge=1, le=100000)
    population: int = Field(default=6, ge=2, le=1000)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    model: ModelSpace = Field(default_factory=ModelSpace)
    hardware: HardwareSpace = Field(default_factory=HardwareSpace)
    objectives: tuple[str, ...] = CORE_OBJECTIVES
    constraints: Constraints = Field(default_factory=Constraints)
    reference: Reference = Field(default_factory=Reference)
    faults: FaultsConfig | None = None
    fidelity: FidelityConfig | None = None  # multi-fidelity screening (explore.fidelity)

    @field_validator("objectives", mode="before")
    @classmethod
    def _known_objectives(cls, v: Any) -> Any:
        if isinstance(v, list | tuple):
            _non_empty_unique(v)
            for i, name in enumerate(v):
                if not isinstance(name, str) or name not in OBJECTIVES:
                    raise ValueError(
                        f"objectives.{i} = {name!r} is not an objective "
                        f"(allowed: {', '.join(OBJECTIVES)})"
                    )
        return v

    @property
    def directions(self) -> list[Direction]:
        return [OBJECTIVES[o].direction for o in self.objectives]

    def canonical(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        for optional in ("faults", "fidelity"):  # absent: hashes as before the section existed
            if data[optional] is None:
                del data[optional]
        if data["model"]["family"] == ["plain"]:  # likewise for model families
            del data["model"]["family"]
        for key in STAGE_KEYS:  # and for per-stage widths
            if data["model"][key] is None:
                del data["model"][key]
        return data

    def content_hash(self) -> str:
        return content_hash(self.canonical())


@dataclass(frozen=True)
class Space:
    """A validated space, with its base arch and the valid hardware points."""

    config: SpaceConfig
    source: str
    base_arch: Arch
    hw_points: tuple[dict[str, Any], ...]  # overrides of the base arch, one per valid point
    hw_rejected: int  # combinations of the sweep that are not a valid arch

    @property
    def keys(self) -> list[str]:
        return list(self.config.hardware.sweep)

    def arch(self, overrides: dict[str, Any]) -> Arch:
        return build_arch(self.base_arch, overrides)


def _sweep_points(hw: HardwareSpace) -> list[dict[str, Any]]:
    keys = list(hw.sweep)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*hw.sweep.values())]


def _check_sweep_values(base: Arch, hw: HardwareSpace, source: str) -> None:
    """Each swept value alone must be one the arch accepts (errors name the sweep key).

    Cross-field rules (ports must divide domains, ...) are left to the
    combinations: a value is fine if some combination satisfies them.
    """
    for key, vals in hw.sweep.items():
        for v in vals:
            try:
                build_arch(base, {key: v})
            except ConfigError as exc:
                if exc.key == key:
                    raise ConfigError(
                        exc.message,
                        key=f"hardware.sweep.{key}",
                        value=v,
                        source=source,
                        allowed=exc.allowed,
                    ) from None


def space_from_dict(data: Any, source: str = "<dict>") -> Space:
    """Validate plain data as a search space; raise one ConfigError on the first problem."""
    if data is None or data == {}:
        raise ConfigError("the search space is empty", source=source, hint="see configs/spaces/")
    cfg = validate(SpaceConfig, data, source)
    try:
        base = load_arch(cfg.hardware.base)
    except ConfigError as exc:
        raise ConfigError(
            exc.message, key="hardware.base", value=cfg.hardware.base, source=source
        ) from None
    try:
        load_arch(cfg.reference.arch)
    except ConfigError as exc:
        raise ConfigError(
            exc.message, key="reference.arch", value=cfg.reference.arch, source=source
        ) from None
    _check_sweep_values(base, cfg.hardware, source)
    _check_faults(cfg, source)
    points: list[dict[str, Any]] = []
    rejected = 0
    for p in _sweep_points(cfg.hardware):
        try:
            build_arch(base, p)
        except RtmcimError:
            rejected += 1
            continue
        points.append(p)
    if not points:
        raise ConfigError(
            f"no combination of the {cfg.hardware.size} hardware points is a valid arch "
            "(a contradictory space)",
            key="hardware.sweep",
            source=source,
            hint="e.g. ports must divide domains, pes_per_unit must divide the MUs of a unit",
        )
    reference_spec(cfg, source)
    return Space(cfg, source, base, tuple(points), rejected)


def _check_faults(cfg: SpaceConfig, source: str) -> None:
    """Rates and mitigation parse; an objective measured under faults needs a ``faults`` section."""
    if cfg.faults is None:
        for i, name in enumerate(cfg.objectives):
            if OBJECTIVES[name].source == "faults":
                raise ConfigError(
                    f"the {name} objective needs a faults section",
                    key=f"objectives.{i}",
                    value=name,
                    source=source,
                    hint="add e.g. 'faults: {rates: shift=1e-3}' to the space",
                )
        return
    try:
        cfg.faults.fault_config()
        cfg.faults.mitigation_config()
    except ConfigError as exc:
        raise ConfigError(
            exc.message, key=exc.key, value=exc.value, allowed=exc.allowed, source=source
        ) from None


def model_grid_size(ms: ModelSpace) -> int:
    n = 1
    for vals in ms.choices().values():
        n *= len(vals)
    return n


def reference_spec(cfg: SpaceConfig, source: str | None = None) -> NetSpec:
    from rtmcim.nn.zoo import resolve_spec

    try:
        return resolve_spec(cfg.reference.model)
    except ConfigError as exc:
        raise ConfigError(
            exc.message,
            key="reference.model",
            value=cfg.reference.model,
            allowed=exc.allowed,
            source=source,
        ) from None


def model_spec(params: dict[str, Any]) -> NetSpec:
    """The CNN spec of one point of the model half (``params`` as the optimizer gives them).

    Per-stage widths (``stage_wbits``/``stage_abits``, text like ``"8-4"``) go on the stage
    blocks; the stem, hidden FC layers and classifier take the network's widths at training.
    """
    depth, ch, k, fc = (int(params[n]) for n in ("depth", "channels", "kernel", "fc"))
    family = str(params.get("family", "plain"))
    fcs = [fc] if fc else []
    sw, sa = (per_stage(params, key, depth) for key in STAGE_KEYS)
    suffix = name_suffix(sw, sa)
    if family == "plain":
        conv = [
            {"channels": ch * 2**i, "kernel": k, "padding": k // 2, "pool": "max",
             **block_bits(sw, sa, i)}
            for i in range(depth)
        ]  # fmt: skip
        name = f"cnn-d{depth}c{ch}k{k}f{fc}{suffix}"
        return parse_spec({"name": name, "conv": conv, "fc": fcs})
    stem = {"channels": ch, "kernel": k, "padding": k // 2}
    if family == "resnet":
        blocks = [
            {"block": "residual", "channels": ch * 2**i, "stride": 1 if i == 0 else 2, "kernel": k,
             **block_bits(sw, sa, i)}
            for i in range(depth)
        ]  # fmt: skip
        extra: dict[str, Any] = {}
    else:
        blocks = [
            {"block": "separable", "channels": ch * 2 ** (i + 1), "stride": 2, "kernel": k,
             **block_bits(sw, sa, i)}
            for i in range(depth)
        ]  # fmt: skip
        extra = {"activation": "relu6"}
    name = f"{family}-d{depth}c{ch}k{k}f{fc}{suffix}"
    return parse_spec(
        {"name": name, "batchnorm": True, "conv": [stem, *blocks], "global_pool": "avg",
         "fc": fcs, **extra}
    )  # fmt: skip


def shipped_spaces() -> list[str]:
    """Names of the search spaces shipped under ``configs/spaces``."""
    return yamlio.shipped_names("rtmcim", "configs/spaces")


def load_space(name_or_path: str | Path) -> Space:
    """A shipped space by name (``default``, ``quick``) or a space YAML file."""
    data, source, _ = yamlio.load_named(
        "rtmcim", "configs/spaces", name_or_path, "search space", "SPACE"
    )
    return space_from_dict(data, source)
