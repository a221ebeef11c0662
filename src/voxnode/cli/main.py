"""`voxnode`: up, services, install-service, uninstall-service, rollback-service, start, stop,
repair, translate, live, demo, dev-scheduler, dispatch, cluster. With a node running on the home,
commands go through its API (one owner of the registry and the processes); without one,
package commands work on the home directly."""

from __future__ import annotations

import logging
import signal
import socket
import sys
from pathlib import Path

import typer
import uvicorn

from voxnode.api.access_gate import check_listen_policy, redact_uvicorn_logs
from voxnode.api.node_app import create_app
from voxnode.cli import llm_cli
from voxnode.cli.cli_support import (
    HomeOption,
    JsonOption,
    cli_errors,
    print_result,
    settings_for,
)
from voxnode.cli.cluster_cli import cluster_app, dispatch_command
from voxnode.cli.demo import run_demo
from voxnode.cli.eval_cli import eval_app
from voxnode.cli.kb_cli import kb_app
from voxnode.cli.keys_cli import keys_app
from voxnode.cli.live_cli import live_command
from voxnode.cli.models_cli import engines_app, models_app
from voxnode.cli.node_client import find_node, require_node, write_node_file
from voxnode.cli.route_cli import route_app
from voxnode.cli.translate_cli import translate_command
from voxnode.contracts.errors import VoxnodeError
from voxnode.packages.node_home import NodeHome
from voxnode.packages.package_installer import PackageInstaller

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
models_app.command("ps")(llm_cli.ps)
models_app.command("unload")(llm_cli.unload)
app.command("chat")(llm_cli.chat)
app.add_typer(models_app, name="models")
app.add_typer(route_app, name="route")
app.add_typer(engines_app, name="engines")
app.add_typer(eval_app, name="eval")
app.add_typer(cluster_app, name="cluster")
app.add_typer(keys_app, name="keys")
app.command("dispatch")(dispatch_command)
app.add_typer(kb_app, name="kb")
app.command("live")(live_command)


@app.command()
@cli_errors
def up(
    home: Path | None = HomeOption,
    host: str | None = typer.Option(None, help="API address (default 127.0.0.1)"),
    port: int | None = typer.Option(None, help="API port (default 8700; 0: any free port)"),
    no_autostart: bool = typer.Option(False, "--no-autostart", help="Start no service at start-up"),
    scheduler_url: str | None = typer.Option(
        None, help="Join a scheduler: ws://HOST:PORT/ws/node (also VOXNODE_SCHEDULER_URL)"
    ),
    nats: str | None = typer.Option(
        None, help="Cluster mode: nats://HOST:4222 (also VOXNODE_CLUSTER__NATS_URL)"
    ),
) -> None:
    """Run the node in the foreground until Ctrl-C or SIGTERM; every service stops with it."""
    settings = settings_for(
        home, host=host, port=port, autostart=False if no_autostart else None,
        scheduler_url=scheduler_url, cluster={"nats_url": nats} if nats else None,
    )  # fmt: skip
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    token = settings.auth_token.get_secret_value() if settings.auth_token else None
    check_listen_policy(settings.host, token)
    if find_node(settings.home) is not None:
        raise VoxnodeError(f"a node is already running on {settings.home}", code="NODE_RUNNING")
    PackageInstaller(NodeHome(settings.home), settings.packages).registry.load()  # say it now
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        sock.close()
        raise VoxnodeError(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror} "
            "(another node or program uses it; pick one with --port)",
            code="PORT_IN_USE",
        ) from None
    bound_port = sock.getsockname()[1]
    home_layout = NodeHome(settings.home)
    url = f"http://{settings.host}:{bound_port}"
    write_node_file(home_layout, url)
    typer.echo(f"voxnode: API and dashboard on {url} (home {settings.home})", err=True)
    if settings.scheduler_url:
        typer.echo(f"voxnode: joining the scheduler at {settings.scheduler_url}", err=True)
    if settings.cluster.nats_url:
        typer.echo(f"voxnode: cluster mode on {settings.cluster.nats_url}", err=True)
    local = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    app = create_app(settings, public_url=f"http://{local}:{bound_port}")
    config = uvicorn.Config(
        app, log_level="info", lifespan="on", ws="websockets-sansio",
        timeout_graceful_shutdown=settings.shutdown_timeout_s,
    )  # fmt: skip
    redact_uvicorn_logs()  # after Config: it sets uvicorn's loggers up
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal; with these
    # handlers the re-raise returns here instead of killing the process before clean-up.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        home_layout.node_file.unlink(missing_ok=True)


@app.command()
@cli_errors
def services(home: Path | None = HomeOption, as_json: bool = JsonOption) -> None:
    """List installed services and their state."""
    settings = settings_for(home)
    client = find_node(settings.home)
    if client is not None:
        rows = client.request("GET", "/v1/services")["services"]
    else:
        rows = [
            {
                "service_id": sid,
                "version": entry.current,
                "state": "stopped (node not running)",
                "installed_versions": sorted(entry.versions),
            }
            for sid, entry in PackageInstaller(NodeHome(settings.home), settings.packages)
            .registry.load()
            .services.items()
        ]
    lines = [f"{'SERVICE':28} {'VERSION':10} {'STATE':10} {'PORT':6} ERROR"]
    for row in rows:
        lines.append(
            f"{row['service_id']:28} {row['version']:10} {row['state']:10} "
            f"{row.get('port') or '':<6} {row.get('last_error') or ''}"
        )
    print_result(rows, as_json, "\n".join(lines) if rows else "no services installed")


@app.command("install-service")
@cli_errors
def install_service(
    source: str = typer.Argument(..., help="Folder, .zip, .tar.gz, or http(s) URL"),
    sha256: str | None = typer.Option(
        None, help="Expected sha256 of the archive (required for URLs)"
    ),
    signature: Path | None = typer.Option(None, help="Signature file (default: FILE.sig)"),
    require_signature: bool = typer.Option(
        False, "--require-signature", help="Refuse it unless a trusted key signed it"
    ),
    home: Path | None = HomeOption,
    as_json: bool = JsonOption,
) -> None:
    """Install (or upgrade to) a service package; a running node starts it at once."""
    settings = settings_for(home)
    client = find_node(settings.home)
    if not _is_url(source) and Path(source).exists():
        source = str(Path(source).resolve())
    if client is not None:
        body = {"source": source, "sha256": sha256, "require_signature": require_signature,
                "signature": str(signature.resolve()) if signature else None}  # fmt: skip
        status = client.request("POST", "/v1/services", body)
        print_result(
            status,
            as_json,
            f"installed {status['service_id']} {status['version']}: {status['state']}",
        )
        return
    result = PackageInstaller(NodeHome(settings.home), settings.packages).install(
        source, sha256=sha256, signature=str(signature) if signature else None,
        require_signature=require_signature,
    )  # fmt: skip
    payload = {
        "service_id": result.package.service_id,
        "version": result.package.version,
        "previous_version": result.previous_version,
    }
    print_result(
        payload,
        as_json,
        f"installed {payload['service_id']} {payload['version']} (starts with `voxnode up`)",
    )


@app.command("uninstall-service")
@cli_errors
def uninstall_service(service_id: str, home: Path | None = HomeOption) -> None:
    """Stop the service (when the node runs) and remove every installed version."""
    settings = settings_for(home)
    client = find_node(settings.home)
    if client is not None:
        client.request("DELETE", f"/v1/services/{service_id}")
    else:
        PackageInstaller(NodeHome(settings.home), settings.packages).uninstall(service_id)
    typer.echo(f"uninstalled {service_id}")


@app.command("rollback-service")
@cli_errors
def rollback_service(
    service_id: str,
    version: str | None = typer.Option(None, help="Default: the previous version"),
    home: Path | None = HomeOption,
) -> None:
    """Make an older installed version current again (the running node switches to it)."""
    settings = settings_for(home)
    client = find_node(settings.home)
    if client is not None:
        status = client.request("POST", f"/v1/services/{service_id}/rollback", {"version": version})
        typer.echo(f"{service_id} now at {status['version']}: {status['state']}")
        return
    installer = PackageInstaller(NodeHome(settings.home), settings.packages)
    target = version or installer.registry.entry(service_id).previous
    if target is None:
        raise VoxnodeError(f"{service_id} has no previous version", code="NO_PREVIOUS")
    installer.set_current(service_id, target)
    typer.echo(f"{service_id} now at {target}")


@app.command("repair-service")
@cli_errors
def repair_service(service_id: str, home: Path | None = HomeOption) -> None:
    """Rebuild a service's own venv (after VENV_BROKEN); a running node restarts it."""
    settings = settings_for(home)
    client = find_node(settings.home)
    if client is not None:
        status = client.request("POST", f"/v1/services/{service_id}/rebuild-venv")
        typer.echo(f"{service_id}: venv rebuilt, {status['state']}")
        return
    PackageInstaller(NodeHome(settings.home), settings.packages).rebuild_venv(service_id)
    typer.echo(f"{service_id}: venv rebuilt")


@app.command()
@cli_errors
def start(service_id: str, home: Path | None = HomeOption) -> None:
    """Start a service and wait until it is ready."""
    status = require_node(settings_for(home).home).request(
        "POST", f"/v1/services/{service_id}/start"
    )
    typer.echo(f"{service_id}: {status['state']} on port {status['port']}")


@app.command()
@cli_errors
def stop(service_id: str, home: Path | None = HomeOption) -> None:
    """Stop a service (SIGTERM, then SIGKILL after the grace period)."""
    status = require_node(settings_for(home).home).request(
        "POST", f"/v1/services/{service_id}/stop"
    )
    typer.echo(f"{service_id}: {status['state']}")


@app.command()
@cli_errors
def translate(
    audio: Path = typer.Argument(..., help="Speech: .wav, .opus/.ogg, .ul (mu-law) or .pcm"),
    src: str = typer.Option(..., help="Language spoken (zh, en, ... or auto)"),
    tgt: str = typer.Option(..., help="Language wanted"),
    out: Path | None = typer.Option(None, help="Write the translated speech here"),
    sample_rate: int = typer.Option(16000, help="Rate of .pcm and .ul input"),
    home: Path | None = HomeOption,
    as_json: bool = JsonOption,
) -> None:
    """Speech in one language to speech in another, through the whole pipeline."""
    translate_command(audio, src, tgt, out, sample_rate, home, as_json)


@app.command()
@cli_errors
def repair(
    text: str,
    lang: str = typer.Option(..., help="Language of the text: zh, en, ..."),
    quality_score: float | None = typer.Option(
        None, help="The ASR's confidence (0-1); under 0.7 the en trigger policy fires"
    ),
    home: Path | None = HomeOption,
    as_json: bool = JsonOption,
) -> None:
    """Send one text through POST /v1/repair on the running node."""
    body: dict[str, object] = {"job_id": "cli", "session_id": "cli", "lang": lang, "text_in": text}
    if quality_score is not None:
        body["quality_score"] = quality_score
    answer = require_node(settings_for(home).home).request("POST", "/v1/repair", body)
    print_result(
        answer, as_json, f"{answer['decision']}: {answer['text_out']}  {answer['reason_codes']}"
    )


@app.command()
@cli_errors
def demo(
    out_dir: Path = typer.Option(Path("voxnode-demo"), "--out-dir", help="Where audio goes"),
    chinese_voice: bool = typer.Option(
        True, help="Install tts-zh (its own 1.5 GB venv) so zh -> en runs too"
    ),
    home: Path | None = HomeOption,
) -> None:
    """The main job on the embedded defaults: install the default packages and models if
    missing, speak a sample in each direction, run it through the whole pipeline."""
    raise typer.Exit(run_demo(settings_for(home), out_dir, chinese_voice))


@app.command("dev-scheduler")
def dev_scheduler(
    host: str = typer.Option("127.0.0.1", help="Listen address"),
    port: int = typer.Option(5010, help="Port (lingua's scheduler uses 5010)"),
    job_timeout_s: float = typer.Option(60.0, help="No result within this: job sent elsewhere"),
    max_attempts: int = typer.Option(3, help="Dispatches of one job before it fails"),
    pending_timeout_s: float = typer.Option(10.0, help="Wait this long for a node to take a job"),
) -> None:
    """A reference scheduler for development and tests (nodes join at ws://HOST:PORT/ws/node;
    POST /v1/jobs sends a job, GET /v1/nodes shows what the nodes report)."""
    from voxnode.agent.dev_scheduler import DevScheduler

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    scheduler = DevScheduler(
        job_timeout_s=job_timeout_s, max_attempts=max_attempts, pending_timeout_s=pending_timeout_s
    )
    typer.echo(f"dev-scheduler: nodes join at ws://{host}:{port}/ws/node", err=True)
    uvicorn.run(scheduler.app, host=host, port=port, log_level="warning", ws="websockets-sansio")


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


if __name__ == "__main__":
    sys.exit(app())
