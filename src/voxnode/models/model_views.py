"""The JSON face of a model (CLI `--json` and `GET /v1/models` print the same)."""

from __future__ import annotations

from typing import Any

from voxnode.models.model_store import ModelState


def model_view(state: ModelState) -> dict[str, Any]:
    entry = state.entry
    sources = sorted(
        {kind for f in entry.files for kind, has in
         (("pypi", f.pypi_parts), ("url", f.urls), ("local", f.local_paths)) if has}
    )  # fmt: skip
    return {
        "name": entry.name, "kind": entry.kind.value, "format": entry.format,
        "licence": entry.licence, "languages": entry.languages, "size": entry.size,
        "default": entry.default, "present": state.present,
        "path": str(state.path) if state.path else None, "bytes_on_disk": state.bytes_on_disk,
        "sources": sources, "verified_sha256": all(f.sha256 for f in entry.files),
        "description": entry.description,
    }  # fmt: skip
