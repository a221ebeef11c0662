"""Contract 1: `service.json`, the description of one service package.

Accepts the seed's format (per-platform blocks, `${SERVICE_DIR}`, `//` comments) plus
`resources`, `health`, `python` and `autostart`. Only the block of the platform we run on is
validated strictly; the others are kept as written.
"""

from __future__ import annotations

import json
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from voxnode.contracts.errors import BadInputError
from voxnode.contracts.languages import language_code

MANIFEST_FILE = "service.json"
SERVICE_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
VERSION_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$"


class ManifestError(BadInputError):
    code = "BAD_MANIFEST"


class ServiceType(StrEnum):
    ASR = "asr"
    SEMANTIC_REPAIR = "semantic-repair"
    NMT = "nmt"
    TTS = "tts"
    LLM = "llm"
    EMBEDDING = "embedding"
    TONE = "tone"


_TYPE_ALIASES = {"semantic": "semantic-repair", "semantic_repair": "semantic-repair"}


class ModelSpec(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    variant: str | None = None
    quantization: str | None = None
    size_gb: float | None = None


class Resources(BaseModel):
    device: Literal["gpu", "cpu", "auto"] = "auto"
    vram_mb: int = Field(0, ge=0)
    max_concurrency: int = Field(1, ge=1)


class HealthSpec(BaseModel):
    path: str = "/health"
    startup_timeout_s: float = Field(60.0, gt=0)

    @field_validator("path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with '/'")
        return value


class PythonSpec(BaseModel):
    requirements: list[str] = []
    """pip requirement strings installed into the service's own venv when `isolated`."""
    requirements_file: str | None = None
    """A requirements file inside the package, relative to its root."""
    isolated: bool = False
    voxnode_extras: list[str] | None = None
    """With `isolated`: the venv also gets VoxNode itself, the node's own code and version,
    with its core requirements and these extras (["asr"]: faster-whisper, ...); [] is the
    core only. None: the service does not run VoxNode code."""


class PlatformSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default_port: int = Field(0, ge=0, le=65535)
    """0 means: any free port. The port in use is always passed as PORT."""
    command: str = Field(min_length=1)
    args: list[str] = []
    env: dict[str, str] = {}
    cwd: str | None = None


class ServiceManifest(BaseModel):
    model_config = ConfigDict(extra="allow")

    service_id: str = Field(pattern=SERVICE_ID_PATTERN)
    name: str = Field(min_length=1)
    version: str = Field(pattern=VERSION_PATTERN)
    type: ServiceType
    lang: str | list[str] | None = None
    subtype: str | None = None
    description: str = ""
    model: ModelSpec | None = None
    resources: Resources = Resources()
    health: HealthSpec = HealthSpec()
    python: PythonSpec = PythonSpec()
    autostart: bool = True
    """Start with the node. False: start on demand only (a job that needs it)."""
    platforms: dict[str, dict[str, Any]]

    @field_validator("type", mode="before")
    @classmethod
    def _type_alias(cls, value: Any) -> Any:
        return _TYPE_ALIASES.get(value, value) if isinstance(value, str) else value

    @property
    def languages(self) -> list[str]:
        """The declared languages as language codes ("zh_CN" -> "zh")."""
        if self.lang is None:
            return []
        declared = [self.lang] if isinstance(self.lang, str) else self.lang
        return list(dict.fromkeys(language_code(x) for x in declared))

    @property
    def is_model_service(self) -> bool:
        return self.model is not None

    def platform(self, name: str | None = None) -> PlatformSpec:
        """The validated block for `name` (default: this machine's platform)."""
        key = name or current_platform()
        block = self.platforms.get(key)
        if block is None:
            raise ManifestError(
                f"service '{self.service_id}' has no '{key}' block in platforms "
                f"(has: {', '.join(sorted(self.platforms)) or 'none'})",
                code="UNSUPPORTED_PLATFORM",
            )
        return PlatformSpec.model_validate(block)


def current_platform() -> str:
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "darwin"
    return "linux"


_COMMENT = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.S)


def strip_json_comments(text: str) -> str:
    """Remove // and /* */ comments outside strings (the seed's examples carry them)."""
    return _COMMENT.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)


def parse_manifest(text: str, *, source: str) -> ServiceManifest:
    """Validate a manifest; errors name the file and the field."""
    try:
        raw = json.loads(strip_json_comments(text))
    except json.JSONDecodeError as exc:
        raise ManifestError(
            f"{source}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    if not isinstance(raw, dict):
        raise ManifestError(f"{source}: the top level must be a JSON object")
    try:
        manifest = ServiceManifest.model_validate(raw)
        for name in manifest.platforms:
            if name == current_platform():
                manifest.platform(name)
    except ValidationError as exc:
        raise ManifestError(f"{source}: {_describe(exc, raw)}") from exc
    return manifest


def _describe(exc: ValidationError, raw: dict[str, Any]) -> str:
    problems = []
    for err in exc.errors():
        loc = ".".join(str(part) for part in err["loc"])
        if err["type"] in ("missing", "extra_forbidden") or not loc:
            problems.append(f"field '{loc}': {err['msg']}")
        else:
            problems.append(f"field '{loc}': {err['msg']} (got {err.get('input')!r})")
    if "platforms" in raw and exc.title == PlatformSpec.__name__:
        problems = [
            p.replace("field '", f"field 'platforms.{current_platform()}.") for p in problems
        ]
    return "; ".join(problems)


def load_manifest(package_dir: Path) -> ServiceManifest:
    path = package_dir / MANIFEST_FILE
    if not path.is_file():
        raise ManifestError(f"{path}: missing (a package has service.json at its root)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot be read: {exc}") from exc
    return parse_manifest(text, source=str(path))
