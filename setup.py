"""The one C extension, rtmcim.memory._native (everything else is in pyproject.toml).

The inner loops of a trace replay, the parser's fast path and FR-FCFS, in C; pip builds it
with the system's C compiler and Python's headers (no numpy headers needed).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("rtmcim.memory._native", sources=["src/rtmcim/memory/_native.c"]),
    ]
)
