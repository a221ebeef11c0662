"""python -m voxnode.services.llm: the model host (package llm-local)."""

from voxnode.services.common.model_app import serve
from voxnode.services.llm.app import build_app

serve(build_app())
