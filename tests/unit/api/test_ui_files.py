"""The dashboard's files: the vendored uPlot is the pinned npm release (SHA256SUMS, which
scripts/fetch_ui_vendor.sh checks against the registry), and the page loads nothing from
outside the node (it must work offline)."""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path

UI = Path(str(resources.files("voxnode.api").joinpath("ui")))


def test_vendored_files_match_their_pinned_sha256() -> None:
    sums = (UI / "vendor" / "SHA256SUMS").read_text().split("\n")
    pinned = dict(reversed(line.split()) for line in sums if line.strip())
    assert set(pinned) == {"uPlot.iife.min.js", "uPlot.min.css", "uPlot.LICENSE"}
    for name, digest in pinned.items():
        assert hashlib.sha256((UI / "vendor" / name).read_bytes()).hexdigest() == digest, name
    assert "MIT License" in (UI / "vendor" / "uPlot.LICENSE").read_text()


def test_the_page_and_its_modules_load_only_the_nodes_own_files() -> None:
    page = (UI / "index.html").read_text()
    links = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert links and all(link.startswith(("/", "#", "data:")) for link in links), links
    for module in UI.glob("*.js"):
        code = module.read_text()
        assert not re.search(r"https?://", code), module.name
        for imported in re.findall(r'from "([^"]+)"', code):
            assert imported.startswith("./") and (UI / imported).is_file(), (module, imported)
