"""The streams, buckets and consumers cluster mode needs, created when missing by whoever
comes first (a node or a dispatcher); the same config again is a no-op in JetStream."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import nats.js.errors
from nats.js import JetStreamContext, api
from nats.js.kv import KeyValue

from voxnode.cluster import cluster_names as names
from voxnode.cluster.cluster_names import Pair
from voxnode.contracts.node_settings import ClusterSettings

log = logging.getLogger(__name__)
MAX_ACK_PENDING = 1000
"""Per pair, over all nodes; each node has at most cluster.max_jobs jobs out at once."""


@dataclass(frozen=True, slots=True)
class ClusterLayout:
    js: JetStreamContext
    results: KeyValue
    nodes: KeyValue


@dataclass(frozen=True, slots=True)
class PairConsumer:
    name: str
    max_deliver: int
    """As the consumer has it (another node may have created it with other settings)."""


async def open_layout(js: JetStreamContext, settings: ClusterSettings) -> ClusterLayout:
    await _ensure_stream(
        js,
        api.StreamConfig(
            name=names.JOBS_STREAM, subjects=[names.JOBS_SUBJECTS],
            retention=api.RetentionPolicy.WORK_QUEUE, storage=api.StorageType.FILE,
            duplicate_window=settings.duplicate_window_s,
        ),
    )  # fmt: skip
    await _ensure_stream(
        js,
        api.StreamConfig(
            name=names.DEAD_LETTER_STREAM, subjects=[names.DEAD_LETTER_SUBJECTS],
            retention=api.RetentionPolicy.LIMITS, storage=api.StorageType.FILE,
            max_age=settings.dead_letter_ttl_s, duplicate_window=settings.duplicate_window_s,
        ),
    )  # fmt: skip
    results = await _ensure_bucket(js, names.RESULTS_BUCKET, settings.results_ttl_s)
    nodes = await _ensure_bucket(js, names.NODES_BUCKET, settings.presence_ttl_s)
    return ClusterLayout(js, results, nodes)


async def ensure_pair_consumer(
    js: JetStreamContext, pair: Pair, settings: ClusterSettings
) -> PairConsumer:
    name = names.consumer_name(pair)
    try:
        info = await js.consumer_info(names.JOBS_STREAM, name)
    except nats.js.errors.NotFoundError:
        config = api.ConsumerConfig(
            durable_name=name, filter_subject=names.job_subject(pair),
            ack_policy=api.AckPolicy.EXPLICIT, deliver_policy=api.DeliverPolicy.ALL,
            ack_wait=settings.ack_wait_s, max_deliver=settings.max_deliver,
            max_ack_pending=MAX_ACK_PENDING,
        )  # fmt: skip
        try:
            info = await js.add_consumer(names.JOBS_STREAM, config)
        except nats.js.errors.BadRequestError:  # another node made it meanwhile, its own way
            info = await js.consumer_info(names.JOBS_STREAM, name)
    max_deliver = info.config.max_deliver or settings.max_deliver
    if max_deliver != settings.max_deliver or info.config.ack_wait != settings.ack_wait_s:
        log.warning(
            "cluster: consumer %s has ack_wait %s s and max_deliver %s (its creator's), not "
            "this node's %s s and %s", name, info.config.ack_wait, max_deliver,
            settings.ack_wait_s, settings.max_deliver,
        )  # fmt: skip
    return PairConsumer(name, max_deliver if max_deliver > 0 else settings.max_deliver)


async def _ensure_stream(js: JetStreamContext, config: api.StreamConfig) -> None:
    assert config.name is not None
    try:
        await js.stream_info(config.name)
    except nats.js.errors.NotFoundError:
        try:
            await js.add_stream(config)
        except nats.js.errors.BadRequestError:  # created meanwhile, with other limits: use it
            await js.stream_info(config.name)


async def _ensure_bucket(js: JetStreamContext, bucket: str, ttl_s: float) -> KeyValue:
    try:
        return await js.key_value(bucket)
    except nats.js.errors.BucketNotFoundError:
        try:
            return await js.create_key_value(
                api.KeyValueConfig(
                    bucket=bucket, ttl=ttl_s, history=1, storage=api.StorageType.FILE
                )
            )
        except nats.js.errors.BadRequestError:  # created meanwhile, with another TTL: use it
            return await js.key_value(bucket)
