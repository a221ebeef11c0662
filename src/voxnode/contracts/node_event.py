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


class NodeEvent(BaseModel):
    type: EventType
    service_id: str
    at: float = Field(default_factory=time.time)
    data: dict[str, Any] = {}
