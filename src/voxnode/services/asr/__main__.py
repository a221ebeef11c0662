from voxnode.services.asr.app import build_app
from voxnode.services.common.model_app import serve

serve(build_app())
