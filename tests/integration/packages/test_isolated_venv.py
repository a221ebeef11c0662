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


def test_breaking_one_venv_takes_down_only_that_service_until_it_is_rebuilt(
    api: TestClient, make_package: MakePackage, settings: NodeSettings
) -> None:
    knobs = FakeKnobs(report_module="six")
    for name in ("steady", "fragile"):
        folder = make_package(
            name, knobs=knobs, python={"isolated": True, "requirements": ["six==1.16.0"]}
        )
        assert api.post("/v1/services", json={"source": str(folder)}).status_code == 201
        wait_state(api, name, "ready")
    venv = settings.home / "services/fragile/1.0.0/.venv"
    next(venv.glob("lib/python*/site-packages/six.py")).unlink()  # a package deleted from it

    assert api.post("/v1/services/fragile/stop").status_code == 200
    response = api.post("/v1/services/fragile/start")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "VENV_BROKEN"
    assert "module six is missing" in error["message"]
    assert "voxnode repair-service fragile" in error["message"]
    fragile = api.get("/v1/services/fragile").json()
    assert fragile["state"] == "failed" and "module six is missing" in fragile["last_error"]
    steady = wait_state(api, "steady", "ready")
    assert httpx.get(f"{steady['url']}/info").json()["module_version"] == "1.16.0"

    response = api.post("/v1/services/fragile/rebuild-venv")
    assert response.status_code == 200, response.text
    fragile = wait_state(api, "fragile", "ready")
    assert httpx.get(f"{fragile['url']}/info").json()["module_version"] == "1.16.0"
    assert not list(venv.parent.glob(".venv.*"))  # nothing left beside the new venv
