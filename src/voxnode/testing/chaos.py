"""Chaos: jobs from concurrent clients while services are killed with SIGKILL.

`run_chaos(url, ...)` sends `jobs` jobs (text and speech, zh->en and en->zh) from `clients`
concurrent clients to a running node and, when `kill_every_s` is set, SIGKILLs a random
service of `victims` that often (its whole process group, as a crash would). Every job must
get an answer: a lost job is one whose request raised or did not come back. Used by
bench/chaos_jobs.py (1,000 jobs) and by the short CI variant in tests/integration.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import os
import random
import signal
import statistics
import time
import wave
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from voxnode.testing.fake_package import FakeKnobs, write_fake_package

NODE_ENV = {
    # a SIGKILL every few seconds is not a crash loop: keep restarting, quickly
    "VOXNODE_SUPERVISOR__CRASH_LOOP_MAX_RESTARTS": "100000",
    "VOXNODE_SUPERVISOR__RESTART_BACKOFF_INITIAL_S": "0.1",
    "VOXNODE_SUPERVISOR__RESTART_BACKOFF_MAX_S": "0.5",
    "VOXNODE_SUPERVISOR__HEALTH_INTERVAL_S": "0.5",
}


def fake_packages(into: Path) -> list[Path]:
    """Two of a kind where the node can fail over, one of a kind where it must wait."""
    both = ["zh", "en"]
    plan: list[tuple[str, str, str | list[str], int]] = [
        ("asr-a", "asr", both, 120), ("asr-b", "asr", both, 120),
        ("fix-zh", "semantic-repair", "zh", 20), ("fix-en", "semantic-repair", "en", 20),
        ("nmt-a", "nmt", both, 150), ("nmt-b", "nmt", both, 150), ("tts-a", "tts", both, 80),
    ]  # fmt: skip
    folders = []
    for name, kind, lang, slow in plan:
        knobs = FakeKnobs(slow_ms=slow, transcript="please send the contract", load_delay_s=0.3)
        folder = into / name
        folders.append(
            write_fake_package(folder, service_id=name, service_type=kind, lang=lang, knobs=knobs)
        )
    return folders


SENTENCES = {
    "zh": ["请在周五之前把合同发给我。", "我们明天开会讨论预算。", "这个价格包括运费吗？"],
    "en": ["Please send me the report.", "The meeting starts at three.", "Is shipping free?"],
}


@dataclass(slots=True)
class ChaosReport:
    jobs: int = 0
    answered: int = 0
    lost: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    degraded_stages: Counter[str] = field(default_factory=Counter)
    kills: Counter[str] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    lost_reasons: list[str] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def line(self, name: str) -> str:
        median = statistics.median(self.latencies_ms) if self.latencies_ms else 0.0
        return (
            f"{name:10} jobs {self.jobs} answered {self.answered} lost {self.lost} "
            f"ok {self.statuses['ok']} degraded {self.statuses['degraded']} "
            f"failed {self.statuses['failed']} kills {sum(self.kills.values())} "
            f"p50 {median:.0f} ms p95 {self.percentile(0.95):.0f} ms"
        )


def silence_wav(seconds: float = 0.5, rate: int = 16000) -> str:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(seconds * rate))
    return base64.b64encode(buffer.getvalue()).decode()


def job_body(run: str, index: int, speech: dict[str, str] | None) -> dict[str, object]:
    """Alternating directions; every other job is speech (when `speech` has the language)."""
    src, tgt = ("zh", "en") if index % 2 == 0 else ("en", "zh")
    body: dict[str, object] = {
        "job_id": f"{run}-{index}", "session_id": f"{run}-{index % 7}",
        "src_lang": src, "tgt_lang": tgt, "want_audio": index % 3 == 0,
    }  # fmt: skip
    if speech and src in speech and index % 4 < 2:
        body["audio"] = speech[src]
    else:
        body["text"] = SENTENCES[src][index % len(SENTENCES[src])]
    return body


async def run_chaos(
    url: str, *, jobs: int, clients: int, victims: list[str], kill_every_s: float | None,
    speech: dict[str, str] | None = None, job_timeout_s: float = 120.0, seed: int = 7,
) -> ChaosReport:  # fmt: skip
    report = ChaosReport(jobs=jobs)
    run = f"chaos-{time.time_ns():x}"  # job ids of their own: the node answers a seen one again
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(jobs):
        queue.put_nowait(index)
    async with httpx.AsyncClient(base_url=url, timeout=job_timeout_s, trust_env=False) as api:

        async def client() -> None:
            while True:
                try:
                    index = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                started = time.monotonic()
                try:
                    response = await api.post("/v1/jobs", json=job_body(run, index, speech))
                    result = response.json()
                except (httpx.HTTPError, ValueError) as exc:
                    report.lost += 1
                    report.lost_reasons.append(f"job {index}: {type(exc).__name__}: {exc}")
                    continue
                if response.status_code != 200 or "status" not in result:
                    report.lost += 1
                    report.lost_reasons.append(f"job {index}: HTTP {response.status_code}")
                    continue
                report.answered += 1
                report.latencies_ms.append((time.monotonic() - started) * 1000)
                report.statuses[result["status"]] += 1
                for degradation in result.get("degraded", []):
                    report.degraded_stages[f"{degradation['stage']}:{degradation['code']}"] += 1

        killer = None
        if kill_every_s:
            killer = asyncio.create_task(_kill_loop(api, victims, kill_every_s, report, seed))
        await asyncio.gather(*(client() for _ in range(clients)))
        if killer is not None:
            killer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await killer
    return report


async def _kill_loop(
    api: httpx.AsyncClient, victims: list[str], every_s: float, report: ChaosReport, seed: int
) -> None:
    chooser = random.Random(seed)
    while True:
        await asyncio.sleep(every_s)
        victim = chooser.choice(victims)
        status = (await api.get(f"/v1/services/{victim}")).json()
        pid = status.get("pid")
        if status.get("state") != "ready" or not pid:
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # the service leads its process group
            report.kills[victim] += 1
