"""`voxnode route explain`: which way a request would go and the rule that says so, from the
home's installed services and the routing configuration (no node needed)."""

from __future__ import annotations

from pathlib import Path

import typer

from voxnode.cli.cli_support import HomeOption, JsonOption, cli_errors, print_result, settings_for
from voxnode.contracts.languages import language_code
from voxnode.contracts.routing_settings import RouteStage
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_installer import PackageInstaller
from voxnode.pipeline.stage_routes import SERVICE_TYPES
from voxnode.routing.route_rules import RouteFacts, decide

route_app = typer.Typer(no_args_is_help=True, help="Hybrid routing: local, cloud or the rules.")


@route_app.command("explain")
@cli_errors
def explain(
    stage: RouteStage = typer.Option(..., help="llm, nmt, asr or tts"),
    tokens: int | None = typer.Option(None, help="The request's context, in tokens (llm)"),
    lang: list[str] = typer.Option([], "--lang", help="Languages the request needs (repeat)"),
    route: str | None = typer.Option(None, help="The request's own override: local|cloud|auto"),
    home: Path | None = HomeOption,
    as_json: bool = JsonOption,
) -> None:
    """The decision, its reason, and what it was decided from."""
    settings = settings_for(home)
    installer = PackageInstaller(NodeHome(settings.home), settings.packages)
    wanted = {language_code(x) for x in lang}
    local = [
        p.service_id for p in installer.installed()
        if p.manifest.type is SERVICE_TYPES[stage] and wanted <= set(p.manifest.languages)
    ]  # fmt: skip
    cloud = [
        b.name for b in settings.routing.cloud
        if stage in b.stages
        and (not b.languages or wanted <= {language_code(x) for x in b.languages})
    ]  # fmt: skip
    override = route if route in ("local", "cloud", "auto") else None
    facts = RouteFacts(
        local_available=bool(local), cloud_available=bool(cloud), context_tokens=tokens,
        override=override,  # type: ignore[arg-type]
    )  # fmt: skip
    rules = settings.routing.stage(stage)
    decision = decide(facts, rules)
    view = {
        "stage": stage.value, "order": [r.value for r in decision.order],
        "reason": decision.reason.value, "mode": rules.mode, "rules": rules.model_dump(),
        "local_services": local, "cloud_backends": cloud, "context_tokens": tokens,
        "override": override,
    }  # fmt: skip
    ways = " then ".join(r.value for r in decision.order)
    text = (
        f"{stage.value}: {ways} ({decision.reason.value}); mode {rules.mode}; "
        f"local {local or 'none'}; cloud {cloud or 'none'}"
    )
    print_result(view, as_json, text)
