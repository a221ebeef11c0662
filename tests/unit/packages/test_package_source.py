"""Packages from http(s) URLs, served by a real local HTTP server."""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from voxnode.contracts.errors import BadInputError
from voxnode.contracts.node_settings import PackageSettings
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_installer import PackageInstaller
from voxnode.packages.package_source import ChecksumError, DownloadError
from voxnode.testing import MakePackage


class Files:
    def __init__(self) -> None:
        self.content: dict[str, bytes] = {}
        self.truncate: set[str] = set()


@pytest.fixture
def server() -> Iterator[tuple[str, Files]]:
    files = Files()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def do_GET(self) -> None:
            data = files.content.get(self.path)
            if data is None:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2] if self.path in files.truncate else data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", files
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def archive(make_package: MakePackage, tmp_path: Path) -> bytes:
    folder = make_package("remote")
    return Path(shutil.make_archive(str(tmp_path / "remote"), "zip", folder)).read_bytes()


def test_url_install_verifies_sha256(server: tuple[str, Files], archive: bytes, home: Path) -> None:
    url, files = server
    files.content["/remote.zip"] = archive
    installer = PackageInstaller(NodeHome(home), PackageSettings())
    with pytest.raises(BadInputError) as caught:
        installer.install(f"{url}/remote.zip")
    assert caught.value.code == "SHA256_REQUIRED"
    with pytest.raises(ChecksumError):
        installer.install(f"{url}/remote.zip", sha256="a" * 64)
    assert installer.registry.load().services == {}
    result = installer.install(f"{url}/remote.zip", sha256=hashlib.sha256(archive).hexdigest())
    assert result.package.service_id == "remote"


def test_truncated_download_and_404_are_clear_errors(
    server: tuple[str, Files], archive: bytes, home: Path
) -> None:
    url, files = server
    files.content["/cut.zip"] = archive
    files.truncate.add("/cut.zip")
    installer = PackageInstaller(NodeHome(home), PackageSettings())
    digest = hashlib.sha256(archive).hexdigest()
    with pytest.raises(DownloadError):
        installer.install(f"{url}/cut.zip", sha256=digest)
    with pytest.raises(DownloadError, match="HTTP 404"):
        installer.install(f"{url}/missing.zip", sha256=digest)
    assert installer.registry.load().services == {}
    assert not any((home / "staging").iterdir())
