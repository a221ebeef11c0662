"""Errors of the model manager; each carries its code, category and HTTP status."""

from __future__ import annotations

from voxnode.contracts.errors import BadInputError, ErrorCategory, NotFoundError, VoxnodeError


class DownloadError(VoxnodeError):
    """The bytes could not be fetched (network, server); worth retrying later."""

    code = "DOWNLOAD_FAILED"
    category = ErrorCategory.TRANSIENT
    status = 502


class ChecksumError(VoxnodeError):
    """The bytes arrived but are not the ones the catalog names; the file was deleted."""

    code = "SHA256_MISMATCH"
    category = ErrorCategory.PERMANENT
    status = 502


class InsufficientResourcesError(VoxnodeError):
    """Not enough disk for a pull, or not enough free RAM/VRAM for a load."""

    code = "INSUFFICIENT_RESOURCES"
    category = ErrorCategory.TRANSIENT
    status = 507


class ModelNotPulledError(NotFoundError):
    code = "MODEL_NOT_PULLED"


class Sha256RequiredError(BadInputError):
    code = "SHA256_REQUIRED"
