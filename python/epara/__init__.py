"""libepara for researchers: categorize services, allocate parallel plans, place instances by
greedy submodular maximization (with your own objective), simulate strategies, and sweep
simulations over scenarios, strategies, loads and seeds in parallel."""

from ._core import *  # noqa: F401,F403 (the C++ API: Scenario, simulate, place, ...)
from ._core import __version__  # noqa: F401
from .sweep import sweep  # noqa: F401
