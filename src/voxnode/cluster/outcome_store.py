"""The results bucket: one outcome per job, the first written wins.

`settle` is the only way an outcome is written (a node's result or refusal, a dead letter,
a dispatcher's cancel): KV create fails when the key exists, and then the stored outcome
is returned instead. A node that finds an outcome for a job it was handed does not run it.
"""

from __future__ import annotations

import nats.js.errors
from nats.js.kv import KeyValue

from voxnode.cluster.cluster_names import outcome_key
from voxnode.cluster.nats_connection import retrying
from voxnode.contracts.cluster_messages import JobOutcome


class OutcomeStore:
    def __init__(self, kv: KeyValue, *, timeout_s: float | None):
        self._kv = kv
        self._timeout_s = timeout_s
        """How long a call retries through an outage (None: until cancelled)."""

    async def get(self, client_id: str, job_id: str) -> JobOutcome | None:
        key = outcome_key(client_id, job_id)

        async def read() -> JobOutcome | None:
            try:
                entry = await self._kv.get(key)
            except nats.js.errors.KeyNotFoundError:  # KeyDeletedError is one too
                return None
            return JobOutcome.model_validate_json(entry.value) if entry.value else None

        return await retrying(read, timeout_s=self._timeout_s, what=f"read outcome {key}")

    async def settle(self, outcome: JobOutcome) -> JobOutcome:
        """Write `outcome` unless the job has one; return the one stored."""
        key = outcome_key(outcome.client_id, outcome.job_id)
        data = outcome.model_dump_json().encode()

        async def create() -> bool:
            try:
                await self._kv.create(key, data)
            except nats.js.errors.KeyWrongLastSequenceError:
                return False
            return True

        if await retrying(create, timeout_s=self._timeout_s, what=f"write outcome {key}"):
            return outcome
        stored = await self.get(outcome.client_id, outcome.job_id)
        return stored if stored is not None else outcome
