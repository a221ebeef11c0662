"""`voxnode eval translate`'s scoring loop on a fake node: each row is its own session, the
yardstick's first line is what counts."""

from __future__ import annotations

from typing import Any

import pytest

from voxnode.cli.eval_translate_cli import score_set
from voxnode.evaluation.translation_metrics import TranslationRow


@pytest.mark.anyio
async def test_every_row_of_every_direction_and_run_is_a_session_of_its_own() -> None:
    sessions: list[str] = []

    async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        if path == "/v1/jobs":
            sessions.append(body["session_id"])
            return {"text_translated": "hello", "timings": {"nmt_ms": 5.0}, "reason_codes": [],
                    "translation_quality": 0.8}  # fmt: skip
        return {"choices": [{"message": {"content": "hello\nand a comment"}}]}

    rows = [TranslationRow("1", "你好", "hello"), TranslationRow("2", "再见", "hello")]
    first = await score_set(post, rows, "zh", "en", "default", yardstick=True)
    await score_set(post, rows, "zh", "en", "default", yardstick=False)
    await score_set(post, [TranslationRow("1", "hello", "你好")], "en", "zh", "default", False)
    assert len(sessions) == 5 and len(set(sessions)) == 5
    assert first["node"]["empty"] == 0
    assert first["chrf_over_yardstick"] == 0.0  # both said "hello": the comment line is cut
    assert first["answers"][1] == {
        "src": "再见", "ref": "hello", "node": "hello", "codes": [], "quality": 0.8,
        "yardstick": "hello",
    }  # fmt: skip
