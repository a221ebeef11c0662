"""`voxnode cluster status`: the nodes in the presence bucket with their pairs, the queue
depth of every pair, and the dead letters."""

from __future__ import annotations

import contextlib

import nats.js.errors
from nats.js import JetStreamContext
from pydantic import BaseModel

from voxnode.cluster import cluster_names as names
from voxnode.cluster.nats_connection import connect
from voxnode.contracts.cluster_messages import DeadLetter, NodePresence
from voxnode.contracts.node_settings import ClusterSettings

RECENT_DEAD_LETTERS = 5


class PairDepth(BaseModel):
    pair: str
    queued: int
    """Messages of the pair in the jobs stream: waiting, running, or given up on."""
    pending: int
    """Not yet handed to a node (the consumer's num_pending)."""
    running: int
    """Handed out, not yet acked (num_ack_pending)."""
    redelivered: int
    nodes: list[str]
    """Nodes pulling it now."""


class ClusterView(BaseModel):
    nats_url: str
    nodes: list[NodePresence]
    pairs: list[PairDepth]
    dead_letters: int
    recent_dead_letters: list[DeadLetter]


async def read_status(settings: ClusterSettings) -> ClusterView:
    """Reads only: a site where no node or dispatcher ran yet shows empty."""
    url = settings.nats_url or ""
    nc = await connect(url, name="voxnode-status", reconnect_wait_s=settings.reconnect_wait_s)
    try:
        js = nc.jetstream()
        nodes = await _nodes(js)
        pairs, dead_letters, recent = [], 0, []
        with contextlib.suppress(nats.js.errors.NotFoundError):
            pairs = await _pair_depths(js, nodes)
        with contextlib.suppress(nats.js.errors.NotFoundError):
            dead = await js.stream_info(names.DEAD_LETTER_STREAM)
            dead_letters = dead.state.messages
            recent = await _recent_dead_letters(js, dead.state.first_seq, dead.state.last_seq)
        return ClusterView(
            nats_url=url, nodes=nodes, pairs=pairs, dead_letters=dead_letters,
            recent_dead_letters=recent,
        )  # fmt: skip
    finally:
        await nc.close()


async def _nodes(js: JetStreamContext) -> list[NodePresence]:
    try:
        bucket = await js.key_value(names.NODES_BUCKET)
        keys = await bucket.keys()
    except (nats.js.errors.BucketNotFoundError, nats.js.errors.NoKeysError):
        return []
    nodes = []
    for key in sorted(keys):
        try:
            entry = await bucket.get(key)
        except nats.js.errors.KeyNotFoundError:
            continue
        if entry.value:
            nodes.append(NodePresence.model_validate_json(entry.value))
    return nodes


async def _pair_depths(js: JetStreamContext, nodes: list[NodePresence]) -> list[PairDepth]:
    info = await js.stream_info(names.JOBS_STREAM, subjects_filter=names.JOBS_SUBJECTS)
    queued = {
        str(pair): count
        for subject, count in (info.state.subjects or {}).items()
        if (pair := names.pair_of_subject(subject)) is not None
    }
    consumers = {}
    for info_of in await js.consumers_info(names.JOBS_STREAM):
        pair = names.pair_of_subject(info_of.config.filter_subject or "")
        if pair is not None:
            consumers[str(pair)] = info_of
    serving: dict[str, list[str]] = {}
    for node in nodes:
        for p in node.pairs:
            serving.setdefault(str(names.Pair(p.src, p.tgt)), []).append(node.node_id)
    rows = []
    for name in sorted(set(queued) | set(consumers) | set(serving)):
        consumer = consumers.get(name)
        rows.append(
            PairDepth(
                pair=name, queued=queued.get(name, 0),
                pending=consumer.num_pending or 0 if consumer else queued.get(name, 0),
                running=consumer.num_ack_pending or 0 if consumer else 0,
                redelivered=consumer.num_redelivered or 0 if consumer else 0,
                nodes=sorted(serving.get(name, [])),
            )
        )  # fmt: skip
    return rows


async def _recent_dead_letters(js: JetStreamContext, first: int, last: int) -> list[DeadLetter]:
    letters: list[DeadLetter] = []
    seq = last
    while seq >= max(first, 1) and len(letters) < RECENT_DEAD_LETTERS:
        try:
            raw = await js.get_msg(names.DEAD_LETTER_STREAM, seq)
        except nats.js.errors.NotFoundError:
            seq -= 1
            continue
        letters.append(DeadLetter.model_validate_json(raw.data or b"{}"))
        seq -= 1
    return letters
