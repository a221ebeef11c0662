"""python -m voxnode.services.normalize: the en-normalize service."""

from voxnode.services.common.model_app import serve
from voxnode.services.normalize.app import build_app

serve(build_app())
