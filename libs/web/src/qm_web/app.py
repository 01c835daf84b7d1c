"""The shared app factory: errors, request ids, metrics, tracing, health and readiness."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from qm_web.errors import error_response, install_error_handlers
from qm_web.middleware import BodyLimitMiddleware, RequestContextMiddleware
from qm_web.tracing import TracingMiddleware

ReadyCheck = Callable[[FastAPI], Awaitable[None]]
PUBLIC_PATHS = {"/healthz", "/readyz", "/metrics"}


def create_service_app(
    *,
    service: str,
    routers: Iterable[APIRouter],
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    max_body_bytes: int = 1 << 20,
    public_paths: Sequence[str] = (),
) -> FastAPI:
    """A FastAPI app with the platform's edge behaviour; `lifespan` fills `app.state`."""
    app = FastAPI(title=f"qMachina {service}", lifespan=lifespan)
    app.state.service = service
    app.state.ready_checks = []
    install_error_handlers(app)
    for router in routers:
        app.include_router(router)
    _add_probes(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(TracingMiddleware, service=service)
    app.add_middleware(RequestContextMiddleware, service=service)
    undeclared = undeclared_routes(app, public=[*PUBLIC_PATHS, *public_paths])
    if undeclared:
        raise RuntimeError(f"routes without a declared action: {undeclared}")
    return app


def _add_probes(app: FastAPI) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": app.state.service}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        failures = []
        for check in request.app.state.ready_checks:
            try:
                await check(request.app)
            except Exception as exc:  # readiness reports, never raises
                failures.append(f"{getattr(check, '__name__', 'check')}: {exc!r}")
        if failures:
            return error_response(503, "unavailable", "; ".join(failures))
        return JSONResponse({"status": "ready"})

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _actions(dependant: Any) -> list[str]:
    found = [getattr(dependant.call, "qm_action", None)]
    for sub in dependant.dependencies:
        found.extend(_actions(sub))
    return [a for a in found if a]


def undeclared_routes(app: FastAPI, *, public: Iterable[str]) -> list[str]:
    """Paths of routes that neither declare an action nor are listed as public (deny by default)."""
    allowed = set(public)
    routes = [r for r in app.routes if isinstance(r, APIRoute) and r.path not in allowed]
    return [route.path for route in routes if not _actions(route.dependant)]
