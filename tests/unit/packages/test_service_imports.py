"""Plan D: each shipped service imports nothing beyond the node's core and its own extras.

Checked in a fresh interpreter that refuses to import the libraries of every other extra (the
venv a package gets at install time has none of them): an eager import of, say, engine A
from the translation service would crash that service in its venv.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata

import pytest

from voxnode.packages.node_distribution import node_requirements
from voxnode.packages.shipped_packages import shipped_packages_dir

BLOCKER = """
import sys
blocked = set(sys.argv[1].split(","))
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ImportError(f"{name} is not in this service's venv")
sys.meta_path.insert(0, Refuse())
import importlib
for module in sys.argv[2:]:
    importlib.import_module(module)
"""


def distribution_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[=<>!~ ;\[]", r, maxsplit=1)[0].lower() for r in requirements}


def import_names(distributions: set[str]) -> set[str]:
    return {
        module
        for module, owners in metadata.packages_distributions().items()
        if any(owner.lower() in distributions for owner in owners)
    }


def voxnode_services() -> list[tuple[str, list[str], list[str]]]:
    found = []
    for manifest_path in sorted(shipped_packages_dir().glob("*/service.json")):
        manifest = json.loads(manifest_path.read_text())
        extras = manifest.get("python", {}).get("voxnode_extras")
        if extras is None:
            continue
        linux = manifest["platforms"]["linux"]
        service = linux["args"][1]  # python -m voxnode.services.<name>
        modules = [f"{service}.app"]
        lang = linux.get("env", {}).get("VOXNODE_REPAIR_LANG")
        if lang:
            modules.append(f"{service}.{lang}_service")
        found.append((manifest["service_id"], extras, modules))
    return found


@pytest.mark.parametrize(("service_id", "extras", "modules"), voxnode_services())
def test_a_service_imports_only_its_extras(
    service_id: str, extras: list[str], modules: list[str]
) -> None:
    offered = metadata.metadata("voxnode").get_all("Provides-Extra") or []
    service_extras = {"llm", "repair", "asr", "tts", "embed", "stream"} & set(offered)
    everything = distribution_names(node_requirements(sorted(service_extras)))
    own = distribution_names(node_requirements(extras))
    blocked = import_names(everything - own)
    assert blocked, "nothing to block: the extras' libraries are not installed here"
    done = subprocess.run(
        [sys.executable, "-c", BLOCKER, ",".join(sorted(blocked)), *modules],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{service_id}: {done.stderr.strip().splitlines()[-1:]}"


def test_the_node_imports_with_its_core_only() -> None:
    """`pip install voxnode` (the core) runs `voxnode up`: no extra is imported eagerly."""
    offered = metadata.metadata("voxnode").get_all("Provides-Extra") or []
    extras = sorted(set(offered) - {"dev", "eval"})
    blocked = import_names(distribution_names(node_requirements(extras)) - core_names())
    assert blocked, "nothing to block: the extras' libraries are not installed here"
    modules = ["voxnode.cli.main", "voxnode.api.node_app"]
    done = subprocess.run(
        [sys.executable, "-c", BLOCKER, ",".join(sorted(blocked)), *modules],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.strip().splitlines()[-1:]


def core_names() -> set[str]:
    return distribution_names(node_requirements([]))
