"""The dashboard: `/` is the page, `/ui/...` its files (ES modules, styles and the vendored
uPlot), shipped inside the wheel as package data. The page reads everything through the
node's public API; this face only serves files."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

router = APIRouter(include_in_schema=False)


def ui_files() -> StaticFiles:
    """What the app mounts under /ui (api/ui/ in the installed package)."""
    return StaticFiles(packages=[("voxnode.api", "ui")])


@router.get("/", response_class=HTMLResponse)
async def dashboard() -> str:
    return resources.files("voxnode.api").joinpath("ui", "index.html").read_text("utf-8")
