"""What Whisper itself thought the sentence might be: its N-best hypotheses, as rewrites.

Where a beam's other hypotheses put other characters in the place of the 1-best's (the same
number of them), the acoustics allowed both: 工之间 or 供直接, 换感冒 or 患感冒. Those runs are
offered to the greedy search (zh_repairer) as candidates, each changed character earning
`char_bonus` back (the sound already vouches for it), and the search judges them by its
margins, as it judges the joint rewrites. A run that changes its length, or touches a
character that may not be edited, is not offered.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from voxnode.services.repair.zh_lattice import Rewrite
from voxnode.services.repair.zh_lexicon import is_han


def alternative_rewrites(
    text: str, hypotheses: Sequence[str], editable: Sequence[bool], *, char_bonus: float
) -> list[Rewrite]:
    """The same-length runs in which each hypothesis differs from `text`, each once."""
    found: dict[tuple[int, str], Rewrite] = {}
    for hypothesis in hypotheses:
        matcher = difflib.SequenceMatcher(None, text, hypothesis, autojunk=False)
        for op, a, b, c, d in matcher.get_opcodes():
            if op != "replace" or b - a != d - c:
                continue
            new = hypothesis[c:d]
            changed = [k for k in range(a, b) if text[k] != new[k - a]]
            if not all(editable[k] and is_han(new[k - a]) for k in changed):
                continue
            rewrite = Rewrite(a, text[a:b], new, len(changed), -char_bonus * len(changed),
                              word_cost=False)  # fmt: skip
            found.setdefault((a, new), rewrite)
    return list(found.values())
