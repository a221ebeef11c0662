"""python -m voxnode.services.repair: the semantic-repair-zh / semantic-repair-en service."""

from voxnode.services.common.model_app import serve
from voxnode.services.repair.app import build_app

serve(build_app())
