"""What every request the node sends to a service has: the endpoint it goes to and a
deadline that travels with it (contract 2)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field


class ServiceRequest(BaseModel):
    endpoint: ClassVar[str]
    """The service's route for this request type, e.g. "/v1/transcribe"."""
    deadline_ms: int | None = Field(None, gt=0)
    """Milliseconds the service has left to answer; past it, 504 (or PASS for repair).
    The node's service client sets it from the stage's deadline."""
