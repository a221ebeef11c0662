"""Schemathesis against the node's own OpenAPI: every operation (services, jobs, repair,
models, the OpenAI routes ...) gets generated requests, valid and not, on a real
`voxnode up` with fake ASR, translator, voice and repair services and an API token.

What may come back: anything but 500 (an unhandled error), and never a hang (each call
is bounded, and so is the whole run). A 5xx other than 500 must carry the one error shape,
as a service that is not there or not ready answers (no `llm` service is installed, so
/v1/chat/completions is a 503); the test prints which of those it saw.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.schemas import OpenApiSchema

from voxnode.testing import preinstall_speech_services, run_node_process, write_fake_package

TOKEN = "fuzz-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CALL_TIMEOUT_S = 30.0
SEEN_5XX: collections.Counter[str] = collections.Counter()


@pytest.fixture(scope="module")
def node_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenApiSchema]:
    folder = tmp_path_factory.mktemp("fuzz")
    home = folder / "home"
    preinstall_speech_services(home, folder / "packages")
    from voxnode.contracts.node_settings import NodeSettings
    from voxnode.packages.node_home import NodeHome
    from voxnode.packages.package_installer import PackageInstaller

    PackageInstaller(NodeHome(home), NodeSettings(home=home).packages).install(
        str(write_fake_package(folder / "packages" / "fix-en", service_id="fix-en"))
    )
    with run_node_process(home, env={"VOXNODE_AUTH_TOKEN": TOKEN}) as node:
        schema = schemathesis.openapi.from_url(f"{node.url}/openapi.json", headers=AUTH)
        yield schema


pytestmark = pytest.mark.shares_processes
MAX_EXAMPLES = 12
"""Per operation and mode (valid, invalid): about 20 operations, so some 400 requests, in
well under a minute here."""


def run_operation(operation: APIOperation, mode: GenerationMode, problems: list[str]) -> int:
    """Hypothesis drives the operation's generated cases (valid ones, or ones that break
    the schema); returns how many were sent."""
    sent = 0

    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case: Case) -> None:
        nonlocal sent
        sent += 1
        response = case.call(headers=AUTH, timeout=CALL_TIMEOUT_S)
        where = f"{case.method} {case.formatted_path}"
        if response.status_code == 500:
            problems.append(f"{where} -> 500: {response.text[:300]}")
        elif response.status_code >= 500:
            error = response.json().get("error") or {}
            if error.get("category") not in ("transient", "permanent") or not error.get("code"):
                problems.append(f"{where} -> {response.status_code} without the error shape")
            SEEN_5XX[
                f"{case.method} {operation.path} {response.status_code} {error.get('code')}"
            ] += 1

    try:
        fuzz()
    except Unsatisfiable:  # nothing to break in an operation without parameters or body
        assert mode is GenerationMode.NEGATIVE, operation.path
    return sent


@pytest.mark.timeout(600)
def test_no_operation_errors_or_hangs(node_schema: OpenApiSchema) -> None:
    operations = [result.ok() for result in node_schema.get_all_operations()]
    paths = {operation.path for operation in operations}
    assert {"/v1/jobs", "/v1/chat/completions", "/v1/completions", "/v1/services",
            "/v1/repair", "/v1/models"} <= paths  # fmt: skip
    problems: list[str] = []
    sent = {
        f"{mode.value} {op.method.upper()} {op.path}": run_operation(op, mode, problems)
        for op in operations
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    }
    print(f"{sum(sent.values())} requests over {len(operations)} operations, valid and "
          f"invalid; 5xx seen (a service missing or not ready): {dict(SEEN_5XX)}")  # fmt: skip
    assert problems == []
    assert all(count > 0 for name, count in sent.items() if name.startswith("positive")), sent
