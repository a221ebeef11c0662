"""Which models are loaded: load on first use, unload after an idle TTL, pinned ones stay.

A load that would not fit in free memory first evicts idle unpinned models (least recently
used first) and is refused with INSUFFICIENT_MEMORY when that is not enough, instead of
letting the machine swap itself to death (seed 003, risk 4).
"""

from __future__ import annotations

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


@dataclass(slots=True)
class _Resident:
    model: Closable
    need_mb: int
    on_gpu: bool
    last_used: float
    pinned: bool = False
    in_use: int = 0


@dataclass(frozen=True, slots=True)
class ResidentInfo:
    key: str
    need_mb: int
    on_gpu: bool
    pinned: bool
    in_use: int
    idle_s: float


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

    @contextmanager
    def use(
        self, key: str, loader: Callable[[], T], *, need_mb: int, on_gpu: bool = False
    ) -> Iterator[T]:
        """The loaded model (loading it first if needed), held in use for the block."""
        with self._lock:
            resident = self._models.get(key)
            if resident is None:
                self._admit(key, need_mb, on_gpu)
                resident = _Resident(loader(), need_mb, on_gpu, self.clock())
                self._models[key] = resident
            resident.in_use += 1
        try:
            yield resident.model  # type: ignore[misc]
        finally:
            with self._lock:
                resident.in_use -= 1
                resident.last_used = self.clock()

    def pin(self, key: str, pinned: bool = True) -> None:
        with self._lock:
            if key in self._models:
                self._models[key].pinned = pinned

    def sweep(self) -> list[str]:
        """Unload idle unpinned models past the TTL; returns their keys."""
        now = self.clock()
        with self._lock:
            idle = [
                key
                for key, r in self._models.items()
                if not r.pinned and not r.in_use and now - r.last_used >= self.policy.idle_ttl_s
            ]
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

    def loaded(self) -> list[ResidentInfo]:
        now = self.clock()
        with self._lock:
            return [
                ResidentInfo(k, r.need_mb, r.on_gpu, r.pinned, r.in_use, now - r.last_used)
                for k, r in self._models.items()
            ]

    def run_sweeper(self, stop: threading.Event, interval_s: float = 30.0) -> threading.Thread:
        def loop() -> None:
            while not stop.wait(interval_s):
                self.sweep()

        thread = threading.Thread(target=loop, name="model-residency", daemon=True)
        thread.start()
        return thread

    def _admit(self, key: str, need_mb: int, on_gpu: bool) -> None:
        while True:
            free = self._free(on_gpu)
            if free is None or free - need_mb >= self.policy.reserve_mb:
                return
            victim = self._least_recent_idle(on_gpu)
            if victim is None:
                where = "GPU memory" if on_gpu else "RAM"
                raise InsufficientResourcesError(
                    f"loading {key} needs {need_mb} MB of {where}; {free} MB are free and "
                    f"{self.policy.reserve_mb} MB stay reserved; unload a model or pick a "
                    "smaller one",
                    code="INSUFFICIENT_MEMORY",
                )
            self._unload(victim)

    def _free(self, on_gpu: bool) -> int | None:
        return self.probe.vram_mb() if on_gpu else self.probe.ram_mb()

    def _least_recent_idle(self, on_gpu: bool) -> str | None:
        idle = [
            (r.last_used, k)
            for k, r in self._models.items()
            if not r.pinned and not r.in_use and r.on_gpu == on_gpu
        ]
        return min(idle)[1] if idle else None

    def _unload(self, key: str) -> None:
        resident = self._models.pop(key)
        resident.model.close()
