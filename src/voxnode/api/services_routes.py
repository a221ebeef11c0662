"""/v1/services: list, install, uninstall, start, stop, restart, roll back, rebuild the venv,
log tail."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from voxnode.api.node_state import NodeState, node_state
from voxnode.contracts.service_status import ServiceStatus
from voxnode.supervisor.service_log import log_path, read_tail

router = APIRouter(prefix="/v1/services", tags=["services"])


class InstallRequest(BaseModel):
    source: str = Field(min_length=1, description="Folder, .zip/.tar.gz path, or http(s) URL")
    sha256: str | None = Field(None, description="Required for URLs")
    signature: str | None = Field(
        None, description="Signature file on the node (default: <archive>.sig, <url>.sig)"
    )
    require_signature: bool = Field(
        False, description="Refuse unless a trusted key signed it (always so with "
        "packages.require_signature)",
    )  # fmt: skip


class RollbackRequest(BaseModel):
    version: str | None = Field(None, description="Default: the previous version")


class ServiceList(BaseModel):
    services: list[ServiceStatus]


@router.get("")
async def list_services(node: NodeState = Depends(node_state)) -> ServiceList:
    return ServiceList(services=node.host.statuses())


@router.post("", status_code=201)
async def install_service(
    body: InstallRequest, node: NodeState = Depends(node_state)
) -> ServiceStatus:
    return await node.host.install(
        body.source, sha256=body.sha256, signature=body.signature,
        require_signature=body.require_signature,
    )  # fmt: skip


@router.get("/{service_id}")
async def get_service(service_id: str, node: NodeState = Depends(node_state)) -> ServiceStatus:
    return node.host.status(service_id)


@router.delete("/{service_id}", status_code=204)
async def uninstall_service(service_id: str, node: NodeState = Depends(node_state)) -> None:
    await node.host.uninstall(service_id)


@router.post("/{service_id}/start")
async def start_service(service_id: str, node: NodeState = Depends(node_state)) -> ServiceStatus:
    return await node.host.start(service_id)


@router.post("/{service_id}/stop")
async def stop_service(service_id: str, node: NodeState = Depends(node_state)) -> ServiceStatus:
    return await node.host.stop(service_id)


@router.post("/{service_id}/rollback")
async def rollback_service(
    service_id: str, body: RollbackRequest, node: NodeState = Depends(node_state)
) -> ServiceStatus:
    return await node.host.rollback(service_id, body.version)


@router.post("/{service_id}/restart")
async def restart_service(service_id: str, node: NodeState = Depends(node_state)) -> ServiceStatus:
    """Stop, then start again (the dashboard's restart button)."""
    await node.host.stop(service_id)
    return await node.host.start(service_id)


@router.post("/{service_id}/rebuild-venv")
async def rebuild_venv(service_id: str, node: NodeState = Depends(node_state)) -> ServiceStatus:
    """Build the service's own venv anew (after VENV_BROKEN), then start it again."""
    return await node.host.rebuild_venv(service_id)


class ServiceLogTail(BaseModel):
    service_id: str
    path: str
    lines: list[str]
    """Oldest first; each line starts with [stdout], [stderr] or [voxnode]."""


@router.get("/{service_id}/log")
async def service_log(
    service_id: str,
    lines: int = Query(50, ge=1, le=2000, description="How many of the last lines"),
    node: NodeState = Depends(node_state),
) -> ServiceLogTail:
    node.host.status(service_id)  # 404 for a service that is not installed
    path = log_path(node.host.home.logs, service_id)
    tail = await asyncio.to_thread(read_tail, path, lines)
    return ServiceLogTail(service_id=service_id, path=str(path), lines=tail)
