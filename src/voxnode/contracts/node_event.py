"""Events the node publishes on WS /v1/events and to status listeners."""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class EventType(StrEnum):
    SERVICE_STATE = "service_state"
    SERVICE_INSTALLED = "service_installed"
    SERVICE_UNINSTALLED = "service_uninstalled"
    SERVICE_UPGRADED = "service_upgraded"
    SERVICE_ROLLED_BACK = "service_rolled_back"
    SERVICE_VENV_REBUILT = "service_venv_rebuilt"
    KB_IMPORT_PROGRESS = "kb_import_progress"
    """data: base, documents_done, documents_total, chunks_done, doc_id."""
    KB_IMPORT_FINISHED = "kb_import_finished"
    """data: base and the import report, or base and error."""


class NodeEvent(BaseModel):
    type: EventType
    service_id: str = ""
    """The service the event is about; "" for knowledge base events."""
    at: float = Field(default_factory=time.time)
    data: dict[str, Any] = {}
