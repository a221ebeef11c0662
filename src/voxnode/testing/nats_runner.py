"""Run a real `nats-server -js` in a subprocess for tests and benchmarks: a free port, its
store under a folder you give, ready when its /healthz says so; stop, kill, start again on
the same port and store (a restart the clients must survive)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from voxnode.supervisor.port_choice import free_port


class NatsServerError(RuntimeError):
    pass


def nats_server_binary() -> str | None:
    """nats-server on PATH, or where Debian's package puts it."""
    found = shutil.which("nats-server")
    if found:
        return found
    return "/usr/sbin/nats-server" if os.access("/usr/sbin/nats-server", os.X_OK) else None


@dataclass(slots=True)
class RunningNats:
    port: int
    monitor_port: int
    store_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 15.0) -> None:
        binary = nats_server_binary()
        if binary is None:
            raise NatsServerError("nats-server is not installed (apt-get install nats-server)")
        argv = [
            binary, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor_port),
            "-sd", str(self.store_dir),
        ]  # fmt: skip
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready(timeout_s)

    def stop(self) -> None:
        """SIGTERM, as a service manager restarting it would."""
        self._end(signal.SIGTERM)

    def kill(self) -> None:
        self._end(signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def _end(self, sig: signal.Signals) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.process = None

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        url = f"http://127.0.0.1:{self.monitor_port}/healthz?js-enabled-only=true"
        with httpx.Client(timeout=1.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise NatsServerError(f"nats-server exited: {self._log_tail()}")
                try:
                    if client.get(url).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        raise NatsServerError(f"nats-server not ready within {timeout_s} s: {self._log_tail()}")

    def _log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""


@contextmanager
def run_nats_server(folder: Path, *, port: int | None = None) -> Iterator[RunningNats]:
    """nats-server with JetStream, its store in `folder/store`; stopped on exit."""
    folder.mkdir(parents=True, exist_ok=True)
    server = RunningNats(
        port=port or free_port(), monitor_port=free_port(), store_dir=folder / "store",
        log_path=folder / "nats-server.log",
    )  # fmt: skip
    server.start()
    try:
        yield server
    finally:
        server.kill()
