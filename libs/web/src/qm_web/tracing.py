"""OpenTelemetry hook: spans per request with W3C context from the gateway; no-op without an SDK."""

from __future__ import annotations

from opentelemetry import propagate, trace
from starlette.types import ASGIApp, Receive, Scope, Send


class TracingMiddleware:
    """Continue the caller's trace (traceparent) and open a server span per request."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.tracer = trace.get_tracer(f"qm.{service}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        context = propagate.extract(carrier)
        name = f"{scope.get('method', 'WS')} {scope.get('path', '')}"
        with self.tracer.start_as_current_span(name, context=context, kind=trace.SpanKind.SERVER):
            await self.app(scope, receive, send)
