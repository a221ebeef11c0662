"""The API token on a real app: every route but /health, HTTP and WebSocket, Bearer,
?token= and the dashboard's cookie; OpenAI clients; the CLI; the services' own token."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from starlette.websockets import WebSocketDisconnect
from typer.testing import CliRunner

from voxnode.api.node_app import create_app
from voxnode.cli.main import app as cli
from voxnode.contracts.node_settings import NodeSettings
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_installer import PackageInstaller
from voxnode.testing import assert_error, eventually, run_node_process

TOKEN = "tok-9f8e7d6c5b4a"


@pytest.fixture
def guarded(settings: NodeSettings) -> Iterator[TestClient]:
    guarded_settings = settings.model_copy(update={"auth_token": SecretStr(TOKEN)})
    with TestClient(create_app(guarded_settings)) as client:
        yield client


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_every_route_but_health_needs_the_token(guarded: TestClient) -> None:
    assert guarded.get("/health").status_code == 200
    paths = [path for path in guarded.app.openapi()["paths"] if "{" not in path]  # type: ignore[attr-defined]
    for path in [*paths, "/", "/docs", "/openapi.json", "/metrics"]:
        if path == "/health":
            continue
        response = guarded.request("GET" if path != "/v1/jobs" else "POST", path)
        error = assert_error(response, 401, "AUTH_REQUIRED") if path != "/" else None
        assert response.status_code == 401, path
        if error is not None:
            assert error["type"] == "authentication_error"
            assert response.headers["www-authenticate"] == "Bearer"
        assert guarded.get(path, headers=bearer("wrong")).status_code == 401, path
    assert guarded.get("/v1/services", headers=bearer()).json() == {"services": []}


def test_a_browser_gives_the_token_once_and_keeps_a_cookie(guarded: TestClient) -> None:
    page = guarded.get("/", headers={"accept": "text/html"})
    assert page.status_code == 401 and "?token=" in page.text
    opened = guarded.get(f"/?token={TOKEN}")
    assert opened.status_code == 200 and "VoxNode" in opened.text
    cookie = opened.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
    assert guarded.get("/v1/services").status_code == 200  # the client kept the cookie
    with guarded.websocket_connect("/v1/events") as socket:
        socket.send_text("hello")
    guarded.cookies.clear()
    with pytest.raises(WebSocketDisconnect) as refused, guarded.websocket_connect("/v1/events"):
        pass
    assert refused.value.code == 1008
    with guarded.websocket_connect(f"/v1/events?token={TOKEN}") as socket:
        socket.send_text("hello")
    with guarded.websocket_connect("/v1/events", headers=bearer()) as socket:
        socket.send_text("hello")


def test_openai_clients_send_it_as_their_api_key(guarded: TestClient) -> None:
    good = openai.OpenAI(base_url="http://testserver/v1", api_key=TOKEN, http_client=guarded)
    assert next(m.id for m in good.models.list()) == "default"
    bad = openai.OpenAI(base_url="http://testserver/v1", api_key="nope", http_client=guarded)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()


def test_with_no_token_on_loopback_the_api_is_open(api: TestClient) -> None:
    assert api.get("/v1/services").status_code == 200


def test_off_loopback_without_a_token_the_node_refuses_to_start(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["up", "--home", str(tmp_path), "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "AUTH_TOKEN_REQUIRED" in result.output and "0.0.0.0" in result.output
    assert not (tmp_path / "node.json").exists()
    create_app(NodeSettings(home=tmp_path, host="0.0.0.0", auth_token=SecretStr(TOKEN)))


CALLER = """
    import json, os, urllib.request, urllib.error
    from http.server import BaseHTTPRequestHandler, HTTPServer

    def call(token):
        request = urllib.request.Request(os.environ["VOXNODE_NODE_URL"] + "/v1/services")
        if token:
            request.add_header("Authorization", "Bearer " + token)
        try:
            return urllib.request.urlopen(request, timeout=10).status
        except urllib.error.HTTPError as exc:
            return exc.code

    seen = {
        "with_token": call(os.environ.get("VOXNODE_NODE_TOKEN")),
        "without": call(None),
        "inherited": sorted(n for n in os.environ if n.upper() == "VOXNODE_AUTH_TOKEN"),
    }
    with open(os.environ["REPORT"], "w") as out:
        json.dump(seen, out)

    class Health(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'{"status": "ok", "warmed": true, "detail": {}}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Health).serve_forever()
"""


def test_services_reach_the_node_with_their_own_token_never_the_users(tmp_path: Path) -> None:
    home, package = tmp_path / "home", tmp_path / "caller"
    package.mkdir()
    (package / "caller.py").write_text(textwrap.dedent(CALLER))
    report = tmp_path / "report.json"
    manifest = {
        "service_id": "caller", "name": "caller", "version": "1", "type": "tone",
        "platforms": {"linux": {"command": "python", "args": ["${SERVICE_DIR}/caller.py"],
                                "env": {"REPORT": str(report)}}},
    }  # fmt: skip
    (package / "service.json").write_text(json.dumps(manifest))
    PackageInstaller(NodeHome(home), NodeSettings(home=home).packages).install(str(package))
    with run_node_process(home, env={"VOXNODE_AUTH_TOKEN": TOKEN}) as node:
        seen = eventually(lambda: report.exists() and json.loads(report.read_text()), timeout_s=30)
        with node.client() as http:
            assert http.get("/v1/services").status_code == 401
            assert http.get("/v1/services", headers=bearer()).status_code == 200
    assert seen == {"with_token": 200, "without": 401, "inherited": []}


def test_the_cli_sends_the_token_of_the_home_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(f'auth_token = "{TOKEN}"\n')
    with run_node_process(home):
        listed = CliRunner().invoke(cli, ["services", "--home", str(home), "--json"])
        assert listed.exit_code == 0, listed.output
        assert json.loads(listed.output) == []
        monkeypatch.setenv("VOXNODE_AUTH_TOKEN", "wrong")  # env comes before config.toml
        refused = CliRunner().invoke(cli, ["services", "--home", str(home)])
        assert refused.exit_code == 1 and "AUTH_REQUIRED" in refused.output
        assert TOKEN not in refused.output
