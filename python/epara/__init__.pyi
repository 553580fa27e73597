"""libepara for researchers: categorize services, allocate parallel plans, place instances by
greedy submodular maximization (with your own objective), and simulate strategies."""

from typing import Any, Callable, Optional, Protocol, Sequence, Union

__version__: str
units_per_item: float

class Error(RuntimeError): ...
class InvalidArgument(ValueError): ...

class Scenario:
    """A cluster, its profiles, services and demand (docs/scenario-format.md)."""
    @property
    def source(self) -> str: ...
    @property
    def services(self) -> list[str]: ...
    @property
    def servers(self) -> list[str]: ...
    @property
    def gpu_count(self) -> int: ...
    @property
    def cpu_count(self) -> int: ...
    @property
    def profiles(self) -> list[dict[str, Any]]: ...
    def to_dict(self) -> dict[str, Any]:
        """The JSON format, `simulation` and `deployment` included (a trace file made absolute):
        parse_scenario(json.dumps(d)) gives the scenario back."""
    def predict_latency_ms(self, profile: str, device_class: str, gpus: int, batch: int) -> float: ...
    # Picklable (as its text), so copy.copy, copy.deepcopy and multiprocessing work.
    def __getstate__(self) -> tuple[str, str, str]: ...
    def __setstate__(self, state: tuple[str, str, str]) -> None: ...

def load_scenario(path: str) -> Scenario:
    """FileNotFoundError or IsADirectoryError for a path that is no file; ValueError naming the
    file and field of a bad one."""
def parse_scenario(text: str, source: str = "<string>") -> Scenario: ...
def categorize(scenario: Scenario) -> list[dict[str, str]]:
    """Per service: service, category (LS-1/LS-N/FS-1/FS-N), rule, device_class, reason."""

class Plan:
    service: str
    category: str
    feasible: bool
    status: str
    reason: str
    modes: str
    device_class: str
    gpus_per_replica: int
    replicas: int
    max_batch: int
    frames_per_pass: int
    batch_timeout_ms: float
    worst_latency_ms: float
    demand_per_s: float
    capacity_per_s: float
    devices: float
    gpu_equivalents: float
    utilization: float
    explanation: str
    def to_dict(self) -> dict[str, Any]: ...

def allocate(scenario: Scenario) -> list[Plan]: ...

def place(scenario: Scenario, variant: str = "lazy",
          objective: Union[str, Callable[["GroundSet"], Objective]] = "flow",
          load_budget_s: Optional[float] = None, load_penalty: float = 0.0,
          local_search_moves: int = 64, seed: int = 1,
          current: Optional[dict[str, Any]] = None, weighting: str = "items",
          serve_every_service: bool = True,
          spare_replicas: bool = True, attainment_floor: Union[float, str] = 0.0,
          headroom: float = 1.0, local_search_pairs: bool = True) -> dict[str, Any]:
    """variant: plain | lazy | stochastic; objective: flow | surrogate, or a callable making an
    objective per ground set (a class such as PySurrogate); weighting: items | demand-share;
    attainment_floor: a share in [0, 1] or "auto"; local_search_pairs: remove two instances
    together where no single removal helps."""

class Objective(Protocol):
    def gain(self, candidate: int) -> float: ...
    def commit(self, candidate: int) -> None: ...
    def value(self) -> float: ...

class GroundSet:
    def __init__(self, scenario: Scenario) -> None: ...
    def __len__(self) -> int: ...
    @property
    def candidates(self) -> list[dict[str, Any]]: ...
    @property
    def demand_nodes(self) -> list[dict[str, Any]]: ...
    @property
    def weights(self) -> list[int]: ...
    def demand_of(self, service_index: int) -> list[int]: ...
    def reaches(self, node: int, group: int) -> bool: ...

def greedy(ground_set: GroundSet, objective: Union[str, Objective] = "flow",
           variant: str = "lazy", budget: Optional[float] = None, penalty: float = 0.0,
           epsilon: float = 0.1, seed: int = 1) -> dict[str, Any]:
    """Returns chosen (candidate indices in commit order), value, cost, evaluations,
    termination, singleton."""

def strategies() -> list[tuple[str, str]]: ...
class SimHandle:
    """The simulation as a Python strategy sees it during one callback."""
    @property
    def now_s(self) -> float: ...
    @property
    def hop_limit(self) -> int: ...
    @property
    def services(self) -> list[str]: ...
    @property
    def servers(self) -> list[str]: ...
    def gpus(self, server: str) -> list[str]: ...
    def cpu(self, server: str) -> Optional[str]: ...
    def declared_demand(self) -> list[tuple[str, str, float, int]]: ...
    def plan(self, service: str) -> dict[str, Any]: ...
    # Placement callbacks (deploy, replan, on_failure) only:
    def measured_demand(self) -> list[tuple[str, str, float]]: ...
    def placed(self) -> list[tuple[str, str, Union[list[int], str]]]: ...
    def devices_down(self) -> list[tuple[str, Union[int, str]]]: ...
    def server_up(self, server: str) -> bool: ...
    # route() only (the deciding server's):
    def local_instances(self, service: str) -> list[int]: ...
    def instance(self, id: int) -> dict[str, Any]: ...
    def peers(self, service: str) -> list[dict[str, Any]]: ...
    def reserve(self, server: str, service: str) -> None: ...

class Strategy(Protocol):
    """A simulation strategy in Python (optionally `name: str`, `synchronizes: bool`, and
    re-placement: `replan(sim)` every `replan_period_s` seconds, `on_failure(sim)` once a
    failure is known, each returning deploy()'s list or None for no change; streams:
    `assign_stream(sim, stream) -> list[str] | None`, `admit_stream(sim, service, rate_per_s)
    -> bool`, `release_stream(service, targets)`)."""
    def deploy(self, sim: SimHandle) -> Sequence[tuple[str, str, Sequence[int]]]: ...
    def route(self, sim: SimHandle, request: dict[str, Any]) -> tuple[str, Any]: ...

def simulate(scenario: Scenario, strategies: Optional[Sequence[Union[str, Strategy]]] = None,
             duration_s: Optional[float] = None, warmup_s: Optional[float] = None,
             seed: Optional[int] = None, load: Optional[float] = None, seeds: int = 1,
             burstiness: Optional[float] = None,
             scale: Optional[float] = None) -> list[dict[str, Any]]:
    """One row per strategy and seed (seed, seed + 1, ...): strategy, seed, load_scale,
    burstiness, gpus, cpus, and the run's metrics, as epara-sim --json writes them."""

def bound(scenario: Scenario, target: Optional[float] = None, duration_s: Optional[float] = None,
          warmup_s: Optional[float] = None, load: Optional[float] = None,
          burstiness: Optional[float] = None, scale: Optional[float] = None) -> dict[str, Any]:
    """The fluid LP upper bound on goodput of that run; with a target, gpus_needed: the fewest
    GPUs at which the bound reaches it."""

def gpus_needed(scenario: Scenario, strategy: Union[str, Strategy], target: float = 0.99,
                seeds: int = 1, duration_s: Optional[float] = None, warmup_s: Optional[float] = None,
                seed: Optional[int] = None, load: Optional[float] = None,
                burstiness: Optional[float] = None) -> dict[str, Any]:
    """The smallest scaled cluster reaching the target: reached, gpus, gpus_below, factor,
    attainment, evaluations."""

def sweep(scenarios: Union[Scenario, Sequence[Scenario]],
          strategies: Optional[Sequence[Union[str, Strategy]]] = None,
          loads: Optional[Sequence[float]] = None, seeds: int = 1, first_seed: int = 1,
          processes: Optional[int] = None, on: str = "processes",
          **options: Any) -> list[dict[str, Any]]:
    """Every (scenario, strategy, load, seed) simulated, in worker processes; one flat dict per
    run in that order, the same however many processes run it."""
