"""Layer ``engine``: bit-exact execution of integer graphs on the circuits, with fault injection."""

from rtmcim.engine.run import EngineResult, WeightSource, run_engine

__all__ = ["EngineResult", "WeightSource", "run_engine"]
