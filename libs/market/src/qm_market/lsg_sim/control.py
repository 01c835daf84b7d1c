"""A line-based control port for a running gateway: `fault <kind> [at]`, `status`."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from qm_market.lsg_sim.faults import FAULT_KINDS
from qm_market.lsg_sim.server import SimGateway


def status(gw: SimGateway) -> dict[str, Any]:
    """Head position and per-connection summary."""
    return {
        "head": gw.head(),
        "records": len(gw.script),
        "connections": [
            {
                "id": c.conn_id,
                "rejected": c.rejected,
                "served": int(c.served().shape[0]),
                "faults": c.faults,
                "closed": c.closed,
            }
            for c in gw.connections
        ],
    }


def command(gw: SimGateway, line: str) -> str:
    """Run one control command; returns the reply line."""
    parts = line.split()
    if parts[:1] == ["status"]:
        return json.dumps(status(gw))
    if parts[:1] == ["fault"] and len(parts) in (2, 3) and parts[1] in FAULT_KINDS:
        at = int(parts[2]) if len(parts) == 3 else None
        gw.inject(parts[1], at_record=at)
        return "ok"
    return f"error: expected 'status' or 'fault <{'|'.join(FAULT_KINDS)}> [at_record]'"


async def serve_control(gw: SimGateway, host: str, port: int) -> asyncio.Server:
    """Listen for control commands (one per line)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            writer.write((command(gw, line.decode().strip()) + "\n").encode())
            await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, host, port)


async def send(host: str, port: int, line: str) -> str:
    """Send one command to a gateway's control port; returns its reply."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(line.encode() + b"\n")
    await writer.drain()
    reply = await reader.readline()
    writer.close()
    return reply.decode().strip()
