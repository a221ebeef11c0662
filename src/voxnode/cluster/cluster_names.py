"""The names cluster mode uses in NATS, in one place: streams, subjects, buckets, keys.

A job for src -> tgt is queued on `jobs.<src>.<tgt>` in the work-queue stream and pulled by
the durable consumer `pair-<src>-<tgt>` (one per pair, shared by every node serving it; work-
queue consumers must have disjoint filters, which one subject per pair gives).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from voxnode.contracts.errors import BadInputError
from voxnode.contracts.languages import language_code

JOBS_STREAM = "VOXNODE_JOBS"
JOBS_SUBJECTS = "jobs.>"
DEAD_LETTER_STREAM = "VOXNODE_DEAD_LETTERS"
DEAD_LETTER_SUBJECTS = "deadletter.>"
RESULTS_BUCKET = "voxnode-results"
NODES_BUCKET = "voxnode-nodes"
CANCEL_SUBJECT = "voxnode.cancel"
MAX_DELIVERIES_ADVISORY = f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{JOBS_STREAM}.*"
ADVISORY_QUEUE = "voxnode-dead-letters"
"""One node of the queue group handles each advisory."""

_LANGUAGE_TOKEN = re.compile(r"^[a-z0-9]{1,16}$")
_ID_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


@dataclass(frozen=True, slots=True, order=True)
class Pair:
    src: str
    tgt: str

    def __str__(self) -> str:
        return f"{self.src}->{self.tgt}"


def pair_of(src_lang: str, tgt_lang: str) -> Pair:
    """The pair a job is queued under; both languages must be concrete codes."""
    src, tgt = language_code(src_lang), language_code(tgt_lang)
    for lang in (src, tgt):
        if not _LANGUAGE_TOKEN.match(lang) or lang == "auto":
            raise BadInputError(
                f"cluster jobs need concrete languages (jobs.<src>.<tgt>), not '{lang}'",
                code="PAIR_REQUIRED",
            )
    if src == tgt:
        raise BadInputError(f"source and target are both '{src}'", code="SAME_LANGUAGE")
    return Pair(src, tgt)


def job_subject(pair: Pair) -> str:
    return f"jobs.{pair.src}.{pair.tgt}"


def dead_letter_subject(pair: Pair | None) -> str:
    return f"deadletter.{pair.src}.{pair.tgt}" if pair else "deadletter.unknown"


def consumer_name(pair: Pair) -> str:
    return f"pair-{pair.src}-{pair.tgt}"


def pair_of_subject(subject: str) -> Pair | None:
    """jobs.zh.en -> zh->en; None for anything else."""
    parts = subject.split(".")
    if len(parts) != 3 or parts[0] != "jobs":
        return None
    return Pair(parts[1], parts[2])


def outcome_key(client_id: str, job_id: str) -> str:
    """The results bucket's key: a dispatcher watches `<client_id>.>`."""
    return f"{client_id}.{job_id}"


def check_token(value: str, what: str) -> str:
    if not _ID_TOKEN.match(value):
        raise BadInputError(
            f"{what} '{value}' must be 1-128 of A-Z a-z 0-9 _ - (it names NATS keys)",
            code="BAD_ID",
        )
    return value
