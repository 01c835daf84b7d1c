"""One WebSocket subscription: validate, authenticate, resolve, subscribe, then pump frames."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from qm_core.errors import NotFound, QmError, Unauthorized
from qm_core.ids import WorkspaceId
from qm_serving.compute.frames import header_text
from qm_serving.errors import VersionIntegrityError
from qm_serving.stream.follow import plan_for
from qm_serving.stream.grid import EncodedBin
from qm_serving.stream.leases import Lease
from qm_serving.stream.metrics import FRAMES_SENT
from qm_serving.stream.plan import StreamPlan
from qm_serving.stream.producer import Retarget, Subscriber
from qm_serving.stream.runtime_config import announce
from qm_serving.stream.schemas import SELECTOR_PATTERN
from qm_serving.stream.wsserver import FRAMED, FramedWriter
from qm_web.rbac import allows

ALLOWED_PARAMS = frozenset({"serving", "token"})
POLICY_VIOLATION, INTERNAL_ERROR, NORMAL = 1008, 1011, 1000


class StreamRefused(Exception):
    """Why a stream cannot start: sent as an error message, then the socket closes with `code`."""

    def __init__(self, message: str, code: int = POLICY_VIOLATION) -> None:
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True)
class Viewer:
    """Who watches, in which workspace."""

    user_id: str
    workspace_id: WorkspaceId


def _selector(ws: WebSocket) -> str:
    unknown = sorted(set(ws.query_params) - ALLOWED_PARAMS)
    if unknown:
        raise StreamRefused(f"unknown query parameter(s): {', '.join(unknown)}")
    selector = ws.query_params.get("serving")
    if not selector or not re.fullmatch(SELECTOR_PATTERN, selector):
        raise StreamRefused("query parameter 'serving' must name an alias or a serving id")
    return selector


async def _viewer(ws: WebSocket, selector: str) -> Viewer:
    app = ws.app
    token = ws.query_params.get("token")
    if token is not None:
        grant = app.state.stream_tokens.check(token, selector=selector)
        viewer = Viewer(grant.user_id, WorkspaceId(grant.workspace_id))
    else:
        scheme, _, bearer = ws.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not bearer.strip():
            raise Unauthorized("a bearer token or a stream token is required")
        principal = await app.state.verifier.verify(bearer.strip())
        try:
            workspace = uuid.UUID(ws.headers.get("x-workspace-id", ""))
        except ValueError:
            raise StreamRefused("X-Workspace-Id header must be a workspace id") from None
        viewer = Viewer(principal.sub, WorkspaceId(workspace))
    role = await app.state.membership.role_of(viewer.workspace_id, viewer.user_id)
    if role is None:
        raise NotFound(f"workspace {viewer.workspace_id} not found")
    if not allows(role, "stream.watch"):
        raise StreamRefused("stream.watch is not allowed for your role")
    return viewer


async def _subscribe(ws: WebSocket) -> tuple[Subscriber, StreamPlan, Lease]:
    selector = _selector(ws)
    viewer = await _viewer(ws, selector)
    plan, alias = await plan_for(ws.app.state, viewer.workspace_id, selector)
    quotas = await ws.app.state.limits.quotas(viewer.workspace_id)
    max_streams = int(quotas["max_streams"])
    # the quota holds across replicas: a lease in Redis first, then this process's producer
    leases = ws.app.state.leases
    lease = await leases.acquire(viewer.workspace_id, max_streams)
    try:
        sub = ws.app.state.hub.subscribe(
            key=plan.key,
            serving_id=plan.serving_id,
            workspace_id=viewer.workspace_id,
            max_streams=max_streams,
            make_source=plan.make_source,
            follows=alias,
        )
    except BaseException:
        await leases.release(lease)
        raise
    return sub, plan, lease


def _refusal(exc: Exception) -> StreamRefused:
    if isinstance(exc, StreamRefused):
        return exc
    if isinstance(exc, VersionIntegrityError):
        return StreamRefused(exc.detail, INTERNAL_ERROR)
    if isinstance(exc, QmError):
        return StreamRefused(f"{exc.code}: {exc.detail}")
    return StreamRefused("internal error", INTERNAL_ERROR)


async def _close(ws: WebSocket, code: int, message: dict[str, Any]) -> None:
    if ws.application_state != WebSocketState.CONNECTED:
        return
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await ws.send_json(message)
        reason = str(message.get("message") or message.get("reason") or "")
        await ws.close(code, reason.encode()[:120].decode(errors="ignore"))


def _framed_writer(ws: WebSocket) -> FramedWriter | None:
    extension = (ws.scope.get("extensions") or {}).get(FRAMED)
    writer = extension.get("writer") if isinstance(extension, dict) else None
    return writer if isinstance(writer, FramedWriter) else None


async def _pump(ws: WebSocket, sub: Subscriber, serving_id: str) -> None:
    # The fan-out hot path. With the server's framed-write extension a caught-up subscriber is
    # written to by the producer itself (Subscriber.try_direct); this pump sends what was queued:
    # a bin whose header is the common one as one write of the pre-framed bytes, otherwise two
    # ASGI sends (header formatted once per bin unless frames were dropped).
    send, writer, epoch = ws.send, _framed_writer(ws), 0
    sub.direct = writer.write if writer is not None else None
    try:
        while True:
            if not len(sub):
                await sub.wait()
            item = sub.take()
            sub.sending = True
            if isinstance(item, EncodedBin):
                dropped = sub.take_dropped()
                if writer is not None and item.wire and not dropped:
                    while not writer.write(item.wire):
                        await writer.writable.wait()
                else:
                    text = (
                        header_text(item.header, dropped) if dropped or not item.text else item.text
                    )
                    await send({"type": "websocket.send", "text": text})
                    await send({"type": "websocket.send", "bytes": item.frame})
                FRAMES_SENT.inc()
            elif isinstance(item, Retarget):
                epoch += 1
                config = announce(item.runtime_config, epoch=epoch, previous_serving_id=serving_id)
                serving_id = item.serving_id
                await send({"type": "websocket.send", "text": json.dumps(config)})
            elif item.code == NORMAL:
                await _close(ws, item.code, {"type": "end", "reason": item.reason})
                return
            else:
                await _close(ws, item.code, {"type": "error", "message": item.reason})
                return
            sub.sending = False
    finally:
        sub.direct = None


async def _until_client_leaves(ws: WebSocket) -> None:
    while (await ws.receive())["type"] != "websocket.disconnect":
        pass


async def serve_stream(ws: WebSocket) -> None:
    """The whole life of one stream socket."""
    await ws.accept()
    try:
        sub, plan, lease = await _subscribe(ws)
    except Exception as exc:
        refused = _refusal(exc)
        await _close(ws, refused.code, {"type": "error", "message": refused.message})
        return
    hub = ws.app.state.hub
    try:
        await ws.send_json(announce(plan.runtime_config, epoch=0, previous_serving_id=None))
        tasks = {
            asyncio.create_task(_pump(ws, sub, plan.serving_id)),
            asyncio.create_task(_until_client_leaves(ws)),
        }
        # whichever ends first (replay over, client gone, send failed) ends the other; a
        # disconnect mid-send is the normal way a viewer leaves, not an error
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        await hub.unsubscribe(sub)
        await ws.app.state.leases.release(lease)
