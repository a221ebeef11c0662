"""The service packages that ship with VoxNode (asr-whisper, nmt-llm, ...).

In a wheel they travel inside the package (`voxnode/service_packages/`, put there by the
build); in a source checkout they are the repository's `packages/` folder.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from voxnode.contracts.errors import NotFoundError

IN_WHEEL = "service_packages"


def shipped_packages_dir() -> Path:
    inside = Path(str(resources.files("voxnode"))) / IN_WHEEL
    if inside.is_dir():
        return inside
    checkout = Path(__file__).resolve().parents[3] / "packages"
    if (checkout / "asr-whisper" / "service.json").is_file():
        return checkout
    raise NotFoundError(
        "the shipped service packages are missing from this installation", code="NO_PACKAGES"
    )


def shipped_package(service_id: str) -> Path:
    folder = shipped_packages_dir() / service_id
    if not (folder / "service.json").is_file():
        raise NotFoundError(f"no shipped package '{service_id}'", code="UNKNOWN_PACKAGE")
    return folder
