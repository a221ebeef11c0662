"""Which models are loaded: load on first use, unload after an idle TTL, keep-alive per
request, pinned ones stay.

A load that would not fit (free RAM or VRAM less a reserve, or an optional budget for all
loaded models together) first evicts idle models, least recently used first, and is then
refused with INSUFFICIENT_MEMORY instead of letting the machine swap itself to death (seed
003, risk 4). Loads run one at a time and outside the lock that guards the table, so a
model that is already loaded keeps answering while another one loads.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from voxnode.models.memory_probe import free_ram_mb, free_vram_mb
from voxnode.models.model_errors import InsufficientResourcesError


class Closable(Protocol):
    def close(self) -> None: ...


T = TypeVar("T", bound=Closable)


@dataclass(frozen=True, slots=True)
class ResidencyPolicy:
    idle_ttl_s: float = 600.0
    """An unpinned model unused for this long is unloaded."""
    reserve_mb: int = 512
    """Memory left free for everything else after a load."""
    budget_mb: int | None = None
    """At most this much for all loaded models together (None: only free memory counts)."""


@dataclass(slots=True)
class _Resident:
    model: Closable
    need_mb: int
    on_gpu: bool
    loaded_at: float
    last_used: float
    keep_s: float
    """Seconds it stays after its last use (inf: until unloaded by hand)."""
    in_use: int = 0


@dataclass(frozen=True, slots=True)
class ResidentInfo:
    key: str
    need_mb: int
    on_gpu: bool
    pinned: bool
    in_use: int
    idle_s: float
    loaded_s: float
    """Seconds since it was loaded."""
    expires_in_s: float | None
    """Seconds until the idle unload; None while in use or pinned."""


@dataclass
class MemoryProbe:
    ram_mb: Callable[[], int] = free_ram_mb
    vram_mb: Callable[[], int | None] = free_vram_mb


@dataclass
class ModelResidency:
    policy: ResidencyPolicy = field(default_factory=ResidencyPolicy)
    probe: MemoryProbe = field(default_factory=MemoryProbe)
    clock: Callable[[], float] = time.monotonic
    _models: dict[str, _Resident] = field(default_factory=dict, init=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False)
    _loading: threading.Lock = field(default_factory=threading.Lock, init=False)

    @contextmanager
    def use(
        self,
        key: str,
        loader: Callable[[], T],
        *,
        need_mb: int,
        on_gpu: bool = False,
        keep_alive_s: float | None = None,
    ) -> Iterator[T]:
        """The loaded model (loading it first if needed), held in use for the block.
        `keep_alive_s`: how long it stays after this use (None: the policy's TTL; 0: it is
        unloaded as soon as nobody uses it; inf: it stays until unloaded by hand)."""
        resident = self._take(key)
        if resident is None:
            resident = self._load(key, loader, need_mb, on_gpu)
        try:
            yield resident.model  # type: ignore[misc]
        finally:
            self._release(key, resident, keep_alive_s)

    def pin(self, key: str, pinned: bool = True) -> None:
        with self._lock:
            if key in self._models:
                self._models[key].keep_s = math.inf if pinned else self.policy.idle_ttl_s

    def sweep(self) -> list[str]:
        """Unload idle models whose keep-alive ran out; returns their keys."""
        now = self.clock()
        with self._lock:
            idle = [k for k, r in self._models.items() if not r.in_use and _expired(r, now)]
            for key in idle:
                self._unload(key)
        return idle

    def unload(self, key: str) -> bool:
        with self._lock:
            if key not in self._models:
                return False
            self._unload(key)
            return True

    def close(self) -> None:
        with self._lock:
            for key in list(self._models):
                self._unload(key)

    def peek(self, key: str) -> Closable | None:
        """The loaded model, without using it (for views)."""
        with self._lock:
            resident = self._models.get(key)
            return None if resident is None else resident.model

    def loaded(self) -> list[ResidentInfo]:
        now = self.clock()
        with self._lock:
            return [_info(key, r, now) for key, r in self._models.items()]

    def run_sweeper(self, stop: threading.Event, interval_s: float = 30.0) -> threading.Thread:
        def loop() -> None:
            while not stop.wait(interval_s):
                self.sweep()

        thread = threading.Thread(target=loop, name="model-residency", daemon=True)
        thread.start()
        return thread

    # ----- internals

    def _take(self, key: str) -> _Resident | None:
        with self._lock:
            resident = self._models.get(key)
            if resident is not None:
                resident.in_use += 1
            return resident

    def _load(self, key: str, loader: Callable[[], T], need_mb: int, on_gpu: bool) -> _Resident:
        with self._loading:  # one load at a time; loaded models keep answering meanwhile
            resident = self._take(key)
            if resident is not None:
                return resident  # another caller loaded it while this one waited
            with self._lock:
                self._admit(key, need_mb, on_gpu)
            model = loader()
            now = self.clock()
            resident = _Resident(model, need_mb, on_gpu, now, now, self.policy.idle_ttl_s)
            resident.in_use = 1
            with self._lock:
                self._models[key] = resident
            return resident

    def _release(self, key: str, resident: _Resident, keep_alive_s: float | None) -> None:
        with self._lock:
            resident.in_use -= 1
            resident.last_used = self.clock()
            if keep_alive_s is not None:
                resident.keep_s = keep_alive_s
            if not resident.in_use and resident.keep_s <= 0 and self._models.get(key) is resident:
                self._unload(key)

    def _admit(self, key: str, need_mb: int, on_gpu: bool) -> None:
        while True:
            free = self.probe.vram_mb() if on_gpu else self.probe.ram_mb()
            held = sum(r.need_mb for r in self._models.values())
            budget = self.policy.budget_mb
            fits_free = free is None or free - need_mb >= self.policy.reserve_mb
            fits_budget = budget is None or held + need_mb <= budget
            if fits_free and fits_budget:
                return
            victim = self._least_recent_idle(on_gpu if fits_budget else None)
            if victim is None:
                where = "GPU memory" if on_gpu else "RAM"
                why = (
                    f"{free} MB are free and {self.policy.reserve_mb} MB stay reserved"
                    if not fits_free
                    else f"{held} MB of the {budget} MB budget are held by models in use"
                )
                raise InsufficientResourcesError(
                    f"loading {key} needs {need_mb} MB of {where}; {why}; unload a model or "
                    "pick a smaller one",
                    code="INSUFFICIENT_MEMORY",
                )
            self._unload(victim)

    def _least_recent_idle(self, on_gpu: bool | None) -> str | None:
        idle = [
            (r.last_used, k)
            for k, r in self._models.items()
            if not r.in_use and math.isfinite(r.keep_s) and (on_gpu is None or r.on_gpu == on_gpu)
        ]
        return min(idle)[1] if idle else None

    def _unload(self, key: str) -> None:
        resident = self._models.pop(key)
        resident.model.close()


def _expired(resident: _Resident, now: float) -> bool:
    return now - resident.last_used >= resident.keep_s


def _info(key: str, resident: _Resident, now: float) -> ResidentInfo:
    pinned = not math.isfinite(resident.keep_s)
    idle = now - resident.last_used
    expires = (
        None if resident.in_use or pinned else max(resident.keep_s - idle, 0.0)
    )  # fmt: skip
    return ResidentInfo(
        key, resident.need_mb, resident.on_gpu, pinned, resident.in_use, idle,
        now - resident.loaded_at, expires,
    )  # fmt: skip
