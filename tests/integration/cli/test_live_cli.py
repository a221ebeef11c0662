"""`voxnode live --wav` as a user runs it: a recording played in real time, partial texts
printed while it plays, the translated pieces after; over a running node's WebSocket, and
in process when no node runs. Fake services; the energy VAD hears tone bursts as speech."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from voxnode.testing import FakeKnobs, preinstall_speech_services, run_node_process
from voxnode.testing.stream_client import tone_bursts

SAID = "teh meeting starts now, bring the contract. see you there."
ENERGY_VAD = {"VOXNODE_STREAM__VAD": "energy", "VOXNODE_STREAM__PARTIAL_INTERVAL_MS": "300"}


def recording(path: Path) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(tone_bursts([(0.3, False), (2.5, True), (0.8, False)]))
    return path


def live(home: Path, wav: Path, out: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "voxnode.cli.main", "live", "--src", "en", "--tgt", "zh",
         "--wav", str(wav), "--speed", "2", "--no-play", "--out", str(out), "--home", str(home)],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, **ENERGY_VAD},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return [line.split("] ", 1)[-1] for line in done.stdout.splitlines()]


def check(lines: list[str], out: Path) -> None:
    kinds = [line.split()[0] for line in lines]
    assert kinds[0] == "ready" and "partial" in kinds
    assert kinds.index("partial") < kinds.index("asr") < kinds.index("nmt")
    assert any(line.startswith("asr      teh meeting starts now") for line in lines), lines
    assert "nmt  #0  zh: teh meeting starts now," in lines  # no repair service installed
    audio = [line.split()[1] for line in lines if line.startswith("audio #")]
    assert len(audio) >= 2 and audio == [f"#{n}" for n in range(len(audio))]
    assert lines[-1] == f"audio    {out}" and out.stat().st_size > 44


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    preinstall_speech_services(
        home, tmp_path / "packages", asr_knobs=FakeKnobs(transcript=SAID, words_per_s=4)
    )
    return home


def test_live_over_a_running_node(home: Path, tmp_path: Path) -> None:
    with run_node_process(home, env=ENERGY_VAD):
        lines = live(home, recording(tmp_path / "in.wav"), tmp_path / "out.wav")
    check(lines, tmp_path / "out.wav")


def test_live_without_a_node_runs_the_pipeline_in_process(home: Path, tmp_path: Path) -> None:
    lines = live(home, recording(tmp_path / "in.wav"), tmp_path / "out.wav")
    check(lines, tmp_path / "out.wav")
