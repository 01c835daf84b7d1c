"""uvicorn's WebSocket protocol plus one ASGI extension: writing pre-framed broadcast frames.

Server-to-client WebSocket frames are not masked, so without per-message compression the bytes
of a bin's two messages (header text + Arrow binary) are the same for every subscriber. The
producer frames them once per bin; through this extension each subscriber then costs one
`transport.write` (one syscall) instead of two ASGI sends through starlette, uvicorn and the
websockets frame serializer. Run serving with `--ws qm_serving.stream.wsserver:FramedWebSockets`
(devstack does; images set `UVICORN_WS`). Under any other server the stream falls back to
standard ASGI sends: same bytes on the wire, more CPU.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request

FRAMED = "qm.websocket.framed"


@dataclass(frozen=True)
class FramedWriter:
    """What the extension offers the app: a synchronous write of complete frames."""

    protocol: FramedWebSockets

    @property
    def writable(self) -> asyncio.Event:
        """Set while the transport accepts writes (cleared while it is paused by backpressure)."""
        return self.protocol.writable

    def write(self, data: bytes) -> bool:
        """Write complete, unmasked frames; False (nothing written) while the transport is paused.

        Raises ClientDisconnected (an OSError) once the socket is closing or closed.
        """
        protocol = self.protocol
        if protocol.disconnected or protocol.close_sent or protocol.transport.is_closing():
            raise ClientDisconnected()
        if not protocol.writable.is_set():
            return False
        protocol.transport.write(data)
        return True


class FramedWebSockets(WebSocketsSansIOProtocol):
    """`websockets-sansio` with the `qm.websocket.framed` extension when nothing was negotiated
    that transforms frames (permessage-deflate makes every connection's bytes different)."""

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        if self.response.status_code == 101 and "Sec-WebSocket-Extensions" not in (
            self.response.headers
        ):
            self.scope["extensions"][FRAMED] = {"writer": FramedWriter(self)}
