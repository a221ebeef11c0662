"""/v1/services: list, install, uninstall, start, stop, roll back."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from voxnode.api.node_state import NodeState, node_state
from voxnode.contracts.service_status import ServiceStatus

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
