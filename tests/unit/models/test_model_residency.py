"""Load on first use, idle unload, pinning, admission against free memory."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from voxnode.models.model_errors import InsufficientResourcesError
from voxnode.models.model_residency import MemoryProbe, ModelResidency, ResidencyPolicy


@dataclass
class Model:
    name: str
    closed: bool = False

    def close(self) -> None:
        self.closed = True


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def residency(free_mb: int = 4000, ttl: float = 600.0) -> tuple[ModelResidency, Clock, list[str]]:
    clock, loads = Clock(), []
    policy = ResidencyPolicy(idle_ttl_s=ttl, reserve_mb=500)
    probe = MemoryProbe(ram_mb=lambda: free_mb, vram_mb=lambda: None)
    return ModelResidency(policy=policy, probe=probe, clock=clock), clock, loads


def loader(name: str, loads: list[str]):  # type: ignore[no-untyped-def]
    def load() -> Model:
        loads.append(name)
        return Model(name)

    return load


def test_loaded_on_first_use_and_reused() -> None:
    res, _, loads = residency()
    with res.use("a", loader("a", loads), need_mb=1000) as first:
        pass
    with res.use("a", loader("a", loads), need_mb=1000) as second:
        assert second is first
    assert loads == ["a"]


def test_idle_models_unload_after_the_ttl_but_pinned_and_busy_ones_stay() -> None:
    res, clock, loads = residency(ttl=600)
    with res.use("idle", loader("idle", loads), need_mb=10) as idle:
        pass
    with res.use("pinned", loader("pinned", loads), need_mb=10):
        pass
    res.pin("pinned")
    with res.use("busy", loader("busy", loads), need_mb=10):
        clock.now = 601
        assert res.sweep() == ["idle"]
    assert idle.closed
    assert sorted(r.key for r in res.loaded()) == ["busy", "pinned"]


def test_a_load_that_does_not_fit_is_refused_with_a_clear_error() -> None:
    res, _, loads = residency(free_mb=1500)
    refused = pytest.raises(InsufficientResourcesError, match="needs 1900 MB of RAM")
    with refused as caught, res.use("big", loader("big", loads), need_mb=1900):
        pass
    assert caught.value.code == "INSUFFICIENT_MEMORY"
    assert loads == []


def test_idle_models_are_evicted_least_recent_first_to_make_room() -> None:
    free = {"mb": 3000}
    res, clock, loads = residency()
    res.probe = MemoryProbe(ram_mb=lambda: free["mb"], vram_mb=lambda: None)
    with res.use("old", loader("old", loads), need_mb=1000) as old:
        pass
    clock.now = 10
    with res.use("new", loader("new", loads), need_mb=1000):
        pass
    free["mb"] = 1200  # two models loaded; a third of 1000 MB does not fit with 500 reserved

    def unload_frees(key: str) -> None:
        free["mb"] += 1000

    original = old.close
    old.close = lambda: (original(), unload_frees("old"))  # type: ignore[method-assign]
    with res.use("third", loader("third", loads), need_mb=1000):
        pass
    assert old.closed
    assert sorted(r.key for r in res.loaded()) == ["new", "third"]


def test_keep_alive_per_use_zero_unloads_at_once_and_minus_one_keeps_for_ever() -> None:
    res, clock, loads = residency(ttl=600)
    with res.use("gone", loader("gone", loads), need_mb=10, keep_alive_s=0.0) as gone:
        assert not gone.closed
    assert gone.closed and res.loaded() == []
    with res.use("kept", loader("kept", loads), need_mb=10, keep_alive_s=float("inf")):
        pass
    with res.use("short", loader("short", loads), need_mb=10, keep_alive_s=5.0):
        pass
    (kept,) = [r for r in res.loaded() if r.key == "kept"]
    assert kept.pinned and kept.expires_in_s is None
    clock.now = 6
    assert res.sweep() == ["short"]
    clock.now = 10_000
    assert res.sweep() == [] and [r.key for r in res.loaded()] == ["kept"]


def test_a_memory_budget_evicts_the_idle_model_to_load_another() -> None:
    res, clock, loads = residency()
    res.policy = ResidencyPolicy(idle_ttl_s=600, reserve_mb=500, budget_mb=1500)
    with res.use("first", loader("first", loads), need_mb=1000) as first:
        pass
    clock.now = 1
    with res.use("second", loader("second", loads), need_mb=1000):
        assert first.closed
        assert [r.key for r in res.loaded()] == ["second"]
        refused = pytest.raises(InsufficientResourcesError, match="of the 1500 MB budget")
        with refused, res.use("third", loader("third", loads), need_mb=1000):
            pass  # "second" is in use: it cannot make room
