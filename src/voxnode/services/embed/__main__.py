from voxnode.services.common.model_app import serve
from voxnode.services.embed.app import build_app

serve(build_app())
