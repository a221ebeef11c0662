"""`voxnode models` on a home with a user catalog entry served by a loopback server."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from typer.testing import CliRunner

from voxnode.cli.main import app
from voxnode.testing.file_server import FileServer, ServedFile

DATA = b"GGUF" + bytes(range(256)) * 400


def test_pull_path_list_verify_rm(tmp_path: Path) -> None:
    home = tmp_path / "home"
    runner = CliRunner()
    with FileServer({"/m.gguf": ServedFile(DATA)}) as server:
        entry = {
            "name": "mine", "kind": "llm", "format": "gguf", "licence": "test", "main": "m.gguf",
            "files": [{"name": "m.gguf", "urls": [f"{server.url}/m.gguf"]}],
        }  # fmt: skip
        (home / "models").mkdir(parents=True)
        (home / "models" / "catalog.json").write_text(json.dumps({"models": [entry]}))
        args = ["--home", str(home)]
        missing = runner.invoke(app, ["models", "path", "mine", *args])
        assert missing.exit_code == 1 and "MODEL_NOT_PULLED" in missing.output
        refused = runner.invoke(app, ["models", "pull", "mine", *args])
        assert refused.exit_code == 1 and "SHA256_REQUIRED" in refused.output
        digest = hashlib.sha256(DATA).hexdigest()
        pulled = runner.invoke(
            app, ["models", "pull", "mine", "--sha256", f"m.gguf={digest}", *args]
        )
        assert pulled.exit_code == 0, pulled.output
    path = Path(pulled.output.strip().splitlines()[-1])
    assert path.read_bytes() == DATA
    assert runner.invoke(app, ["models", "path", "mine", *args]).output.strip() == str(path)
    listed = json.loads(runner.invoke(app, ["models", "list", "--json", *args]).output)
    mine = next(m for m in listed if m["name"] == "mine")
    assert mine["present"] and mine["sources"] == ["url"] and not mine["verified_sha256"]
    assert "1 file(s) verified" in runner.invoke(app, ["models", "verify", "mine", *args]).output
    assert "removed" in runner.invoke(app, ["models", "rm", "mine", *args]).output
    assert not path.exists()
