"""The real-time stream: sources, shared producers, per-subscriber fan-out, WebSocket edge."""
