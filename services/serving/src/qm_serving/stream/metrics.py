"""Prometheus metrics of the stream: subscribers, producers, frames sent and dropped, lag, moves."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

SUBSCRIBERS = Gauge("qm_serving_stream_subscribers", "Open stream subscriptions")
PRODUCERS = Gauge("qm_serving_stream_producers", "Running stream producers")
FRAMES_SENT = Counter("qm_serving_stream_frames_sent_total", "grid_update frames sent")
FRAMES_DROPPED = Counter(
    "qm_serving_stream_frames_dropped_total", "Frames dropped for slow subscribers"
)
ALIAS_MOVES_FOLLOWED = Counter(
    "qm_serving_stream_alias_moves_followed_total",
    "Open streams moved onto another version because their alias moved",
)
PRODUCER_LAG = Gauge(
    "qm_serving_stream_producer_lag_seconds",
    "How far the newest bin's emission trails its wall-clock schedule",
    ["serving_id"],
)
