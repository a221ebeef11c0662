"""How the service client speaks to a cloud backend (any OpenAI-compatible endpoint): the
node's typed requests as OpenAI calls, their answers as the node's typed answers.

Chat and completions go as they are (the model named by the backend; VoxNode's extension
fields dropped); a translation is a chat completion with a plain instruction; ASR is
/audio/transcriptions, TTS /audio/speech. HTTP 401/403 are permanent (a wrong key: no retry
storm), 429 is transient and says how long to stay away (Retry-After), 5xx is transient.
The API key goes in the Authorization header only: it is never logged or put in an error.
"""

from __future__ import annotations

import base64
import io
import time
import wave
from typing import Any, TypeVar

import httpx

from voxnode.contracts.errors import ErrorCategory
from voxnode.contracts.languages import language_name
from voxnode.contracts.openai import ChatCompletion, ChatCompletionRequest, CompletionRequest
from voxnode.contracts.routing_settings import CloudBackend, RouteStage
from voxnode.contracts.service_request import ServiceRequest
from voxnode.contracts.speech import (
    AudioFormat,
    SynthesizedAudio,
    SynthesizeRequest,
    TranscribeRequest,
    TranscribeResponse,
    TranslateRequest,
    TranslateResponse,
)

T = TypeVar("T")
EXTENSIONS = {
    "keep_alive",
    "grammar",
    "no_cjk",
    "no_latin_words",
    "deadline_ms",
    "route",
    "knowledge_base",
}
"""VoxNode's own fields: a cloud does not know them."""
AUDIO_FILES = {
    AudioFormat.WAV: ("audio.wav", "audio/wav"), AudioFormat.OPUS: ("audio.ogg", "audio/ogg"),
    AudioFormat.PCM16: ("audio.wav", "audio/wav"), AudioFormat.MULAW: ("audio.wav", "audio/wav"),
}  # fmt: skip
SPEECH_FORMATS = {AudioFormat.WAV: "wav", AudioFormat.OPUS: "opus", AudioFormat.PCM16: "pcm"}
CLOUD_PCM_RATE = 24000
"""OpenAI's raw PCM output rate."""


class CloudCallError(Exception):
    """Why a cloud call failed, as data (the service client turns it into its error)."""

    def __init__(
        self, message: str, *, code: str, category: ErrorCategory, retry_after_s: float = 0.0
    ):
        super().__init__(message)
        self.message, self.code, self.category = message, code, category
        self.retry_after_s = retry_after_s


def stage_of(request: ServiceRequest) -> RouteStage | None:
    """The route stage a request belongs to; None: it never leaves the machine."""
    if isinstance(request, ChatCompletionRequest | CompletionRequest):
        return RouteStage.LLM
    stages: dict[type[ServiceRequest], RouteStage] = {
        TranslateRequest: RouteStage.NMT, TranscribeRequest: RouteStage.ASR,
        SynthesizeRequest: RouteStage.TTS,
    }  # fmt: skip
    return stages.get(type(request))


def headers(backend: CloudBackend) -> dict[str, str]:
    key = backend.key()
    return {"Authorization": f"Bearer {key}"} if key else {}


def cloud_body(
    backend: CloudBackend, request: ChatCompletionRequest | CompletionRequest
) -> dict[str, Any]:
    body = request.model_dump(mode="json", exclude_none=True, exclude=EXTENSIONS)
    body["model"] = backend.model_for(RouteStage.LLM)
    return body


async def send(
    http: httpx.AsyncClient, backend: CloudBackend, request: ServiceRequest, answer: type[T],
    deadline: float,
) -> T:  # fmt: skip
    base = backend.base_url.rstrip("/")
    timeout = max(deadline - time.monotonic(), 0.001)
    if isinstance(request, ChatCompletionRequest | CompletionRequest):
        response = await _post(http, backend, base + request.endpoint.removeprefix("/v1"),
                               json=cloud_body(backend, request), timeout=timeout)  # fmt: skip
        return answer.model_validate_json(response.content)  # type: ignore[attr-defined, no-any-return]
    if isinstance(request, TranslateRequest):
        return _translated(backend, await _translate(http, backend, base, request, timeout))  # type: ignore[return-value]
    if isinstance(request, TranscribeRequest):
        return await _transcribe(http, backend, base, request, timeout)  # type: ignore[return-value]
    if isinstance(request, SynthesizeRequest):
        return await _synthesize(http, backend, base, request, timeout)  # type: ignore[return-value]
    raise CloudCallError(
        f"{type(request).__name__} cannot go to a cloud", code="NOT_ROUTABLE",
        category=ErrorCategory.PERMANENT,
    )  # fmt: skip


async def _translate(
    http: httpx.AsyncClient, backend: CloudBackend, base: str, request: TranslateRequest,
    timeout: float,
) -> str:  # fmt: skip
    src, tgt = language_name(request.src_lang), language_name(request.tgt_lang)
    line = f"Translate the following {src} text into {tgt}. Reply with the translation only."
    messages = [{"role": "system", "content": line}, {"role": "user", "content": request.text}]
    body = {
        "model": backend.model_for(RouteStage.NMT), "temperature": 0.0, "messages": messages,
        "max_tokens": 64 + 4 * len(request.text),  # a runaway answer is cut, not waited for
    }  # fmt: skip
    response = await _post(http, backend, base + "/chat/completions", json=body, timeout=timeout)
    reply = ChatCompletion.model_validate_json(response.content)
    text = reply.choices[0].message.content if reply.choices else ""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _translated(backend: CloudBackend, text: str) -> TranslateResponse:
    if not text:
        raise CloudCallError(
            f"cloud {backend.name} gave an empty translation", code="TRANSLATION_REJECTED",
            category=ErrorCategory.TRANSIENT,
        )  # fmt: skip
    return TranslateResponse(text=text, engine=f"cloud:{backend.name}")


async def _transcribe(
    http: httpx.AsyncClient, backend: CloudBackend, base: str, request: TranscribeRequest,
    timeout: float,
) -> TranscribeResponse:  # fmt: skip
    audio = base64.b64decode(request.audio)
    if request.audio_format is AudioFormat.PCM16:
        audio = _wav(audio, request.sample_rate)
    name, mime = AUDIO_FILES[request.audio_format]
    data = {"model": backend.model_for(RouteStage.ASR), "response_format": "json"}
    if request.language and request.language != "auto":
        data["language"] = request.language
    response = await _post(
        http, backend, base + "/audio/transcriptions", data=data,
        files={"file": (name, audio, mime)}, timeout=timeout,
    )  # fmt: skip
    body = response.json()
    heard = str(body.get("language") or request.language or "")
    return TranscribeResponse(
        text=str(body.get("text", "")).strip(), language=heard, language_probability=1.0,
        duration=float(body.get("duration") or 0), quality_score=1.0,
    )  # fmt: skip


async def _synthesize(
    http: httpx.AsyncClient, backend: CloudBackend, base: str, request: SynthesizeRequest,
    timeout: float,
) -> SynthesizedAudio:  # fmt: skip
    wanted = SPEECH_FORMATS.get(request.format)
    if wanted is None:
        raise CloudCallError(
            f"cloud speech has no {request.format.value} output", code="UNSUPPORTED_FORMAT",
            category=ErrorCategory.PERMANENT,
        )  # fmt: skip
    body = {"model": backend.model_for(RouteStage.TTS), "input": request.text,
            "voice": request.voice or backend.voice, "response_format": wanted}  # fmt: skip
    response = await _post(http, backend, base + "/audio/speech", json=body, timeout=timeout)
    rate, seconds = _audio_facts(response.content, request.format)
    return SynthesizedAudio(response.content, rate, seconds, None)


async def _post(
    http: httpx.AsyncClient, backend: CloudBackend, url: str, *, timeout: float, **kwargs: Any
) -> httpx.Response:
    response = await http.post(url, headers=headers(backend), timeout=timeout, **kwargs)
    raise_for_cloud(backend, response)
    return response


def raise_for_cloud(backend: CloudBackend, response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    where = f"cloud {backend.name}: HTTP {status}"
    if status in (401, 403):
        raise CloudCallError(
            f"{where}: the API key was refused (check its configuration)",
            code="CLOUD_AUTH_FAILED", category=ErrorCategory.PERMANENT,
        )  # fmt: skip
    if status == 429:
        raise CloudCallError(
            f"{where}: rate limited", code="CLOUD_RATE_LIMITED",
            category=ErrorCategory.TRANSIENT, retry_after_s=_retry_after(response),
        )  # fmt: skip
    category = ErrorCategory.BAD_INPUT if 400 <= status < 500 else ErrorCategory.TRANSIENT
    raise CloudCallError(f"{where}", code=f"CLOUD_HTTP_{status}", category=category)


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(float(response.headers.get("Retry-After", "0")), 0.0)
    except ValueError:
        return 0.0


def _wav(pcm: bytes, rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm)
    return out.getvalue()


def _audio_facts(data: bytes, fmt: AudioFormat) -> tuple[int | None, float | None]:
    if fmt is AudioFormat.PCM16:
        return CLOUD_PCM_RATE, len(data) / 2 / CLOUD_PCM_RATE
    if fmt is AudioFormat.WAV:
        try:
            with wave.open(io.BytesIO(data)) as handle:
                return handle.getframerate(), handle.getnframes() / handle.getframerate()
        except (wave.Error, EOFError):
            return None, None
    return None, None
