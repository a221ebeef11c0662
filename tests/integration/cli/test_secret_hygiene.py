"""Known secrets (the API token, the scheduler node token) are configured, the node is
exercised, and every output is searched for them: the node's log, every service log, what
the API answers (bodies and headers: /info of a service, /metrics, /v1/agent, errors, the
dashboard, /openapi.json), what the scheduler received, and the services' environments."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import httpx
import psutil
from websockets.sync.client import connect

from voxnode.testing import (
    FAST_AGENT_ENV,
    MakePackage,
    eventually,
    preinstall_speech_services,
    run_node_process,
)
from voxnode.testing.scheduler_runner import run_dev_scheduler

API_TOKEN = "api-secret-Q1w2E3r4T5y6"
NODE_TOKEN = "node-secret-Z9x8C7v6B5n4"
SECRETS = (API_TOKEN, NODE_TOKEN)


def leaks(where: str, text: str) -> list[str]:
    return [f"{where} holds {secret[:11]}..." for secret in SECRETS if secret in text]


def test_secrets_never_appear_in_logs_answers_or_service_environments(
    tmp_path: Path, make_package: MakePackage
) -> None:
    home = tmp_path / "home"
    preinstall_speech_services(home, tmp_path / "packages")
    unsigned = make_package("unsigned")
    archive = tmp_path / "unsigned.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(unsigned, arcname="unsigned")
    seen: list[str] = []
    with run_dev_scheduler(tmp_path / "scheduler") as scheduler:
        env = {
            **FAST_AGENT_ENV, "VOXNODE_SCHEDULER_URL": scheduler.ws_url,
            "VOXNODE_AUTH_TOKEN": API_TOKEN, "VOXNODE_AGENT__NODE_TOKEN": NODE_TOKEN,
        }  # fmt: skip
        with (
            run_node_process(home, env=env) as node,
            httpx.Client(base_url=node.url, timeout=60, trust_env=False,
                         headers={"Authorization": f"Bearer {API_TOKEN}"}) as http,
        ):  # fmt: skip

            def answer(method: str, path: str, **kwargs: object) -> httpx.Response:
                response = http.request(method, path, **kwargs)  # type: ignore[arg-type]
                seen.append(f"{response.status_code} {response.headers} {response.text}")
                return response

            eventually(lambda: http.get("/v1/agent").json()["state"] == "registered",
                       timeout_s=30, what="registration")  # fmt: skip
            services = eventually(
                lambda: [s for s in http.get("/v1/services").json()["services"]
                         if s["state"] == "ready"] if http.get("/health").json()["ready"] == 3
                else None, timeout_s=30, what="three ready services",
            )  # fmt: skip
            for path in ("/v1/agent", "/metrics", "/v1/services", "/v1/models", "/openapi.json",
                         "/health", f"/?token={API_TOKEN}"):  # fmt: skip
                answer("GET", path)
            answer("GET", "/v1/services", headers={"Authorization": "Bearer wrong"})
            answer("POST", "/v1/services", json={"source": str(tmp_path / "missing")})
            answer("POST", "/v1/services", json={"source": str(archive), "require_signature": True})
            answer("POST", "/v1/services", json={"source": "https://127.0.0.1:1/p.zip",
                                                 "sha256": "0" * 64})  # fmt: skip
            job = {"src_lang": "en", "tgt_lang": "zh", "text": "hello", "want_audio": False}
            assert answer("POST", "/v1/jobs", json=job).status_code == 200
            chat = {"messages": [{"role": "user", "content": "hi"}]}
            answer("POST", "/v1/chat/completions", json=chat)
            ws_url = node.url.replace("http://", "ws://") + f"/v1/events?token={API_TOKEN}"
            with connect(ws_url) as socket:
                seen.append(socket.recv(timeout=10))  # type: ignore[arg-type]
            for status in services:
                info = httpx.get(f"http://127.0.0.1:{status['port']}/info", timeout=10)
                seen.append(f"/info of {status['service_id']}: {info.text}")
                environ = (
                    Path(f"/proc/{status['pid']}/environ").read_bytes().decode(errors="replace")
                )
                assert not leaks(f"the environment of {status['service_id']}", environ)
                assert "VOXNODE_NODE_TOKEN=" in environ  # it has its own, per-run one
            children = psutil.Process(node.process.pid).children(recursive=True)
            assert len(children) == 3
        seen.append(json.dumps(scheduler.log()))
        seen.append(scheduler.log_path.read_text(errors="replace"))
    found: list[str] = []
    for index, text in enumerate(seen):
        found += leaks(f"answer {index} ({text[:120]!r})", text)
    found += leaks("the node's log", node.log())
    assert "token=***" in node.log()  # the ?token= requests were logged, redacted
    for log in sorted((home / "logs").glob("*.log*")):
        found += leaks(str(log), log.read_text(errors="replace"))
    assert found == []
