"""A node home with fake speech services installed, and audio to send them.

For tests that start a real node (`voxnode up`) which must carry en <-> zh jobs at once.
"""

from __future__ import annotations

import base64
from pathlib import Path

from voxnode.contracts.node_settings import NodeSettings
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_installer import PackageInstaller
from voxnode.testing.fake_package import FakeKnobs, write_fake_package

PCM16 = base64.b64encode(b"\x01\x00" * 3200).decode()
"""Base64 of 0.2 s of 16 kHz PCM16 (the fake ASR hears its transcript in any audio)."""
HEARD = "teh meeting starts now"
"""What the fake ASR of `preinstall_speech_services` hears unless told otherwise."""


def preinstall_speech_services(
    home: Path, folder: Path, asr_knobs: FakeKnobs | None = None
) -> None:
    """Fake en/zh ASR (`asr-fake`), en/zh translator (`nmt-fake`) and zh voice (`tts-fake`),
    written under `folder` and installed into `home` before the node starts."""
    NodeHome(home).ensure()
    installer = PackageInstaller(NodeHome(home), NodeSettings(home=home).packages)
    asr = FakeKnobs(transcript=HEARD) if asr_knobs is None else asr_knobs
    for service_id, kind, lang, knobs in (
        ("asr-fake", "asr", ["en", "zh"], asr),
        ("nmt-fake", "nmt", ["en", "zh"], None),
        ("tts-fake", "tts", ["zh"], None),
    ):
        package = write_fake_package(
            folder / service_id, service_id=service_id, service_type=kind, lang=lang, knobs=knobs
        )
        installer.install(str(package))
