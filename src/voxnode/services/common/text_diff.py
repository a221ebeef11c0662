"""The diff[] of a repair answer (contract 3): what changed, where, in the input."""

from __future__ import annotations

import difflib
import re

from voxnode.contracts.repair import DiffItem

_WORDS = re.compile(r"\S+|\s+")


def diff_items(before: str, after: str) -> list[DiffItem]:
    """Word-level for spaced text, character-level for Chinese; positions are character
    offsets into `before`."""
    spaced = " " in before.strip()
    a = _WORDS.findall(before) if spaced else list(before)
    b = _WORDS.findall(after) if spaced else list(after)
    offsets = [0]
    for piece in a:
        offsets.append(offsets[-1] + len(piece))
    items = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            items.append(
                DiffItem(
                    **{"from": "".join(a[i1:i2]), "to": "".join(b[j1:j2])}, position=offsets[i1]
                )
            )
    return items
