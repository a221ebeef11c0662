"""Hot-plug: installs, upgrades, rollbacks and uninstalls take effect on the running node.

The registry says what is installed; the supervisor runs it. This class keeps the two in step:
a new package is supervised (and started) at once, an upgrade starts the new version beside
the old and switches only when it is ready, an uninstall stops the service first.
"""

from __future__ import annotations

import asyncio
import logging

from voxnode.contracts.errors import BadInputError, ErrorCategory, VoxnodeError
from voxnode.contracts.node_event import EventType, NodeEvent
from voxnode.contracts.node_settings import NodeSettings
from voxnode.contracts.service_manifest import ServiceType
from voxnode.contracts.service_spec import ServiceSpec
from voxnode.contracts.service_status import ServiceState, ServiceStatus
from voxnode.models.model_store_factory import service_model_env
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_installer import PackageInstaller
from voxnode.packages.registry import RegistryData
from voxnode.pipeline.event_bus import EventBus
from voxnode.supervisor.pid_files import PidFiles
from voxnode.supervisor.process_supervisor import ProcessSupervisor
from voxnode.supervisor.runtime_status import RuntimeStatus

log = logging.getLogger(__name__)


class UpgradeFailedError(VoxnodeError):
    code = "UPGRADE_FAILED"
    category = ErrorCategory.PERMANENT
    status = 422


class ServiceHost:
    def __init__(
        self, settings: NodeSettings, *, node_url: str | None = None, node_token: str | None = None
    ):
        """`node_url`: the node's own address, passed to every service as VOXNODE_NODE_URL
        (translation and repair reach the model host through it), with `node_token`, the
        API token the node accepts from its services, as VOXNODE_NODE_TOKEN."""
        self._settings = settings
        self.node_url = node_url
        self.home = NodeHome(settings.home)
        self.installer = PackageInstaller(self.home, settings.packages)
        self.supervisor = ProcessSupervisor(
            settings=settings.supervisor,
            logs_dir=self.home.logs,
            pid_files=PidFiles(self.home.run),
            service_env={
                "VOXNODE_HOME": str(settings.home),
                **({"VOXNODE_NODE_URL": node_url} if node_url else {}),
                **({"VOXNODE_NODE_TOKEN": node_token} if node_token else {}),
                **service_model_env(settings),
            },
        )
        self.events = EventBus()
        self.supervisor.add_listener(self._on_status)
        self._changes = asyncio.Lock()
        self._registry = RegistryData()

    async def open(self) -> None:
        self.home.ensure()
        await asyncio.to_thread(self.installer.reconcile)
        await self.supervisor.open()
        self._registry = self.installer.registry.load()
        for package in self.installer.installed():
            self.supervisor.add(package)
            if self._settings.autostart and package.manifest.autostart:
                self.supervisor.start_soon(package.service_id)

    async def close(self) -> None:
        await self.supervisor.shutdown()

    # ----- changes

    async def install(
        self, source: str, *, sha256: str | None = None, signature: str | None = None,
        require_signature: bool = False,
    ) -> ServiceStatus:  # fmt: skip
        async with self._changes:
            result = await asyncio.to_thread(
                self.installer.install, source, sha256=sha256, signature=signature,
                require_signature=require_signature,
            )  # fmt: skip
            package = result.package
            if result.previous_version is None or not self.supervisor.has(package.service_id):
                self._refresh_registry()
                self.supervisor.add(package)
                self._publish(
                    EventType.SERVICE_INSTALLED, package.service_id, version=package.version
                )
                if self._settings.autostart and package.manifest.autostart:
                    self.supervisor.start_soon(package.service_id)
                return self.status(package.service_id)
            try:
                await self.supervisor.replace(package)
            except VoxnodeError as exc:
                await asyncio.to_thread(
                    self.installer.remove_version, package.service_id, package.version
                )
                self._refresh_registry()
                raise UpgradeFailedError(
                    f"{package.service_id} {package.version} did not start, so "
                    f"{result.previous_version} keeps serving: {exc.message}"
                ) from exc
            self._refresh_registry()
            failed = self.supervisor.status(package.service_id).state is ServiceState.FAILED
            if failed and self._settings.autostart and package.manifest.autostart:
                self.supervisor.start_soon(package.service_id)  # an upgrade is how one fixes it
            self._publish(
                EventType.SERVICE_UPGRADED,
                package.service_id,
                version=package.version,
                previous=result.previous_version,
            )
            return self.status(package.service_id)

    async def uninstall(self, service_id: str) -> None:
        async with self._changes:
            self.installer.registry.entry(service_id)
            if self.supervisor.has(service_id):
                await self.supervisor.remove(service_id)
            await asyncio.to_thread(self.installer.uninstall, service_id)
            self._refresh_registry()
            self._publish(EventType.SERVICE_UNINSTALLED, service_id)

    async def rollback(self, service_id: str, version: str | None = None) -> ServiceStatus:
        async with self._changes:
            entry = self.installer.registry.entry(service_id)
            target = version or entry.previous
            if target is None:
                raise BadInputError(
                    f"{service_id} has no previous version to roll back to", code="NO_PREVIOUS"
                )
            package = await asyncio.to_thread(self.installer.package, service_id, target)
            await self.supervisor.replace(package)
            await asyncio.to_thread(self.installer.set_current, service_id, target)
            self._refresh_registry()
            self._publish(
                EventType.SERVICE_ROLLED_BACK, service_id, version=target, previous=entry.current
            )
            return self.status(service_id)

    async def rebuild_venv(self, service_id: str) -> ServiceStatus:
        """Stop the service, build its venv anew (Plan D), and start it again unless it had
        been stopped on purpose."""
        async with self._changes:
            wanted = self.supervisor.status(service_id).state is not ServiceState.STOPPED
            await self.supervisor.stop(service_id)
            package = await asyncio.to_thread(self.installer.rebuild_venv, service_id)
            self._publish(EventType.SERVICE_VENV_REBUILT, service_id, version=package.version)
            if wanted:
                self.supervisor.start_soon(service_id)
            return self.status(service_id)

    async def start(self, service_id: str) -> ServiceStatus:
        await self.supervisor.start(service_id)
        return self.status(service_id)

    async def stop(self, service_id: str) -> ServiceStatus:
        await self.supervisor.stop(service_id)
        return self.status(service_id)

    # ----- views

    def status(self, service_id: str) -> ServiceStatus:
        runtime = self.supervisor.status(service_id)
        return self._view(self.supervisor.spec(service_id), runtime)

    def statuses(self) -> list[ServiceStatus]:
        return [
            self._view(self.supervisor.spec(rt.service_id), rt) for rt in self.supervisor.statuses()
        ]

    def specs_of_type(self, service_type: ServiceType) -> list[ServiceSpec]:
        return [spec for spec in self.supervisor.specs() if spec.manifest.type is service_type]

    def _view(self, spec: ServiceSpec, runtime: RuntimeStatus) -> ServiceStatus:
        manifest = spec.manifest
        entry = self._registry.services.get(manifest.service_id)
        return ServiceStatus(
            service_id=manifest.service_id,
            name=manifest.name,
            type=manifest.type,
            languages=manifest.languages,
            subtype=manifest.subtype,
            version=runtime.version,
            installed_versions=sorted(entry.versions) if entry else [runtime.version],
            state=runtime.state,
            port=runtime.port,
            pid=runtime.pid,
            url=runtime.url,
            restarts=runtime.restarts,
            startup_seconds=runtime.startup_s,
            last_error=runtime.last_error,
            inflight=runtime.inflight,
            model_service=manifest.is_model_service,
            device=manifest.resources.device,
            model_id=manifest.model.name if manifest.model else None,
        )

    def _refresh_registry(self) -> None:
        self._registry = self.installer.registry.load()

    def _on_status(self, runtime: RuntimeStatus) -> None:
        self._publish(
            EventType.SERVICE_STATE,
            runtime.service_id,
            state=runtime.state.value,
            version=runtime.version,
            error=runtime.last_error,
        )

    def _publish(self, kind: EventType, service_id: str, **data: object) -> None:
        self.events.publish(NodeEvent(type=kind, service_id=service_id, data=data))
