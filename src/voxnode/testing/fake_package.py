"""Write a package folder around the fake service (a copy of its stdlib-only server)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voxnode.testing import fake_service

MakePackage = Callable[..., Path]
"""The `make_package` fixture: make_package(service_id="x", knobs=FakeKnobs(...), **fields)
writes a fresh package folder (write_fake_package's keyword arguments) and returns it."""


@dataclass(slots=True)
class FakeKnobs:
    load_delay_s: float = 0.0
    crash_at_start: bool = False
    crash_after: int = 0
    ignore_sigterm: bool = False
    never_ready: bool = False
    slow_ms: int = 0
    unhealthy_file: str | None = None
    repair_from: str | None = None
    repair_to: str | None = None
    report_module: str | None = None
    transcript: str | None = None
    """What /v1/transcribe hears in any audio."""
    fail_status: int = 0
    """Answer every /v1/* request with this HTTP status (a transient ErrorBody)."""
    request_log: str | None = None
    """A file the service appends `<path>\\n` to when each /v1/* POST starts (before the
    slow_ms sleep): proof that a request reached it, and when."""
    body_log: str | None = None
    """A file the service appends {"path", "body"} of each /v1/* POST to (one JSON line)."""
    words_per_s: float = 0.0
    """/v1/transcribe hears as many of the transcript's words as the audio lasts times this
    (0: all of them): repeated decodes of a growing recording give growing hypotheses."""
    piece_ms: int = 0
    """/v1/translate/stream waits this long before each piece."""
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {
            "FAKE_LOAD_DELAY_S": str(self.load_delay_s),
            "FAKE_CRASH_AT_START": "1" if self.crash_at_start else "0",
            "FAKE_CRASH_AFTER": str(self.crash_after),
            "FAKE_IGNORE_SIGTERM": "1" if self.ignore_sigterm else "0",
            "FAKE_NEVER_READY": "1" if self.never_ready else "0",
            "FAKE_SLOW_MS": str(self.slow_ms),
            "FAKE_WORDS_PER_S": str(self.words_per_s),
            "FAKE_PIECE_MS": str(self.piece_ms),
        }
        optional = {
            "FAKE_UNHEALTHY_FILE": self.unhealthy_file,
            "FAKE_REPAIR_FROM": self.repair_from,
            "FAKE_REPAIR_TO": self.repair_to,
            "FAKE_REPORT_MODULE": self.report_module,
            "FAKE_TRANSCRIPT": self.transcript,
            "FAKE_FAIL_STATUS": str(self.fail_status) if self.fail_status else None,
            "FAKE_REQUEST_LOG": self.request_log,
            "FAKE_BODY_LOG": self.body_log,
        }
        env.update({key: value for key, value in optional.items() if value is not None})
        env.update(self.extra_env)
        return env


def write_fake_package(
    folder: Path,
    *,
    service_id: str = "fake-repair",
    version: str = "1.0.0",
    service_type: str = "semantic-repair",
    lang: str | list[str] | None = "en",
    knobs: FakeKnobs | None = None,
    default_port: int = 0,
    startup_timeout_s: float = 20.0,
    model: dict[str, Any] | None = None,
    python: dict[str, Any] | None = None,
    autostart: bool = True,
    subtype: str | None = None,
    max_concurrency: int = 8,
) -> Path:
    """A complete package folder: service.json plus server.py (the fake service)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(fake_service.__file__, folder / "server.py")
    manifest: dict[str, Any] = {
        "service_id": service_id,
        "name": f"Fake {service_id}",
        "version": version,
        "type": service_type,
        "lang": lang,
        "subtype": subtype,
        "description": "fake service from voxnode.testing",
        "model": model,
        "resources": {"max_concurrency": max_concurrency},
        "health": {"path": "/health", "startup_timeout_s": startup_timeout_s},
        "autostart": autostart,
        "platforms": {
            "linux": {
                "default_port": default_port,
                "command": "python",
                "args": ["${SERVICE_DIR}/server.py"],
                "env": (knobs or FakeKnobs()).env(),
            }
        },
    }
    if python is not None:
        manifest["python"] = python
    (folder / "service.json").write_text(json.dumps(manifest, indent=2))
    return folder
