"""The node's own code and requirements, as a service venv gets them (Plan D).

A venv that runs VoxNode code gets the node's core requirements plus the extras its manifest
names, read from the node's installed metadata, and the node's own `voxnode` package linked in
(a symlink; a copy where the system refuses symlinks): the service runs exactly the node's
version, and nothing else of the node's environment leaks in.
"""

from __future__ import annotations

import re
import shutil
from importlib import metadata
from pathlib import Path

import voxnode
from voxnode.contracts.errors import BadInputError

DISTRIBUTION = "voxnode"
_EXTRA_MARKER = re.compile(r"""^extra\s*==\s*["']([A-Za-z0-9_.-]+)["']$""")


class UnknownExtraError(BadInputError):
    code = "UNKNOWN_EXTRA"


def node_version() -> str:
    return voxnode.__version__


def node_package_dir() -> Path:
    return Path(voxnode.__file__).resolve().parent


def node_requirements(extras: list[str]) -> list[str]:
    """The core requirements plus those of `extras`, markers resolved."""
    declared = metadata.requires(DISTRIBUTION) or []
    offered = metadata.metadata(DISTRIBUTION).get_all("Provides-Extra") or []
    unknown = sorted(set(extras) - set(offered))
    if unknown:
        raise UnknownExtraError(
            f"VoxNode {node_version()} has no extra {', '.join(unknown)} "
            f"(it offers: {', '.join(sorted(offered))})"
        )
    chosen: list[str] = []
    for line in declared:
        requirement, _, marker = (part.strip() for part in line.partition(";"))
        if not marker:
            chosen.append(requirement)
            continue
        extra = _EXTRA_MARKER.match(marker)
        if extra is None:
            raise UnknownExtraError(f"cannot read the requirement marker '{marker}'")
        if extra.group(1) in extras:
            chosen.append(requirement)
    return list(dict.fromkeys(chosen))


def link_node_code(site_packages: Path) -> None:
    """Make `import voxnode` in the venv load the node's own package."""
    target = site_packages / "voxnode"
    try:
        target.symlink_to(node_package_dir(), target_is_directory=True)
    except OSError:  # Windows without the symlink privilege
        shutil.copytree(node_package_dir(), target, ignore=shutil.ignore_patterns("__pycache__"))
