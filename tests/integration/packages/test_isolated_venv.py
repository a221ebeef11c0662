"""Plan D: each isolated package runs on its own venv, built at install time."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from voxnode.contracts.node_settings import NodeSettings
from voxnode.testing import FakeKnobs, MakePackage, wait_state

pytestmark = pytest.mark.slow


def test_conflicting_versions_of_one_library_run_at_once(
    api: TestClient, make_package: MakePackage
) -> None:
    knobs = FakeKnobs(report_module="six")
    for name, pin in (("old-six", "six==1.15.0"), ("new-six", "six==1.16.0")):
        folder = make_package(name, knobs=knobs, python={"isolated": True, "requirements": [pin]})
        response = api.post("/v1/services", json={"source": str(folder)})
        assert response.status_code == 201, response.text
    infos = {}
    for name in ("old-six", "new-six"):
        status = wait_state(api, name, "ready")
        infos[name] = httpx.get(f"{status['url']}/info").json()
    assert infos["old-six"]["module_version"] == "1.15.0"
    assert infos["new-six"]["module_version"] == "1.16.0"
    assert infos["old-six"]["python"] != infos["new-six"]["python"]
    assert all("/.venv/" in info["python"] for info in infos.values())


def test_requirements_that_cannot_install_are_refused(
    api: TestClient, make_package: MakePackage, settings: NodeSettings
) -> None:
    folder = make_package(
        "nope", python={"isolated": True, "requirements": ["voxnode-no-such-package-xyz==9"]}
    )
    response = api.post("/v1/services", json={"source": str(folder)})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "VENV_BUILD_FAILED" and "install the requirements" in error["message"]
    assert api.get("/v1/services").json() == {"services": []}
    assert not (settings.home / "services" / "nope").exists()


def test_a_broken_venv_fails_to_start_with_a_clear_error(
    api: TestClient, make_package: MakePackage, settings: NodeSettings
) -> None:
    folder = make_package("fragile", autostart=False, python={"isolated": True})
    assert api.post("/v1/services", json={"source": str(folder)}).status_code == 201
    (settings.home / "services/fragile/1.0.0/.venv/bin/python").unlink()
    response = api.post("/v1/services/fragile/start")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "VENV_BROKEN"
    assert api.get("/v1/services/fragile").json()["state"] == "failed"
