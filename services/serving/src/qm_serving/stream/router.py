"""HTTP and WebSocket routes of the stream: token minting and `WS /v1/stream`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Request, WebSocket

from qm_serving.aliases import service as aliases
from qm_serving.deps import Unit, workspace_unit
from qm_serving.stream.schemas import StreamTokenRead, StreamTokenRequest
from qm_serving.stream.session import serve_stream
from qm_web.responses import declared

router = APIRouter(tags=["stream"])


@router.post("/v1/stream/tokens", responses=declared(400, 403, 404, 409))
async def mint_stream_token(
    body: StreamTokenRequest,
    request: Request,
    unit: Annotated[Unit, workspace_unit("stream.watch")],
) -> StreamTokenRead:
    """A ~60 s token bound to you, this workspace and one selector, for browser WebSockets."""
    await aliases.resolve_selector(
        unit.session, workspace_id=unit.access.workspace_id, selector=body.serving
    )
    token, grant = request.app.state.stream_tokens.mint(
        user_id=unit.access.principal.sub,
        workspace_id=unit.access.workspace_id,
        selector=body.serving,
    )
    query = urlencode({"serving": body.serving, "token": token})
    return StreamTokenRead(
        token=token,
        expires_at=datetime.fromtimestamp(grant.expires_at, tz=UTC),
        url=f"/v1/stream?{query}",
    )


@router.websocket("/v1/stream")
async def watch_stream(websocket: WebSocket) -> None:
    """runtime_config first, then per bin a grid_update header and one Arrow IPC frame.

    A stream of an alias follows it: when the alias moves, a new runtime_config (epoch + 1,
    previous_serving_id) announces the new version and bin_seq restarts with its frames.
    """
    await serve_stream(websocket)
