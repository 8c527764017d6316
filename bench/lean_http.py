"""A lean HTTP/1.1 load generator for the ingest benchmarks: keep-alive connections on
asyncio streams, requests written as bytes and answers read by their Content-Length.

Why not httpx: at a thousand requests a second httpx's client ate half a core of the two
this machine has, beside the server it was measuring (issue 13). This costs a few tens of
microseconds a request. It speaks exactly what the benchmarks need — POST and GET with a
JSON body to one server, answers with Content-Length — and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any


class LeanError(Exception):
    """The server closed the connection or answered something this client cannot read."""


class LeanConnection:
    """One keep-alive connection; one request at a time (open several for concurrency)."""

    def __init__(self, host: str, port: int, headers: dict[str, str] | None = None) -> None:
        self.host = host
        self.port = port
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **(headers or {})}.items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        """(status, body). A connection the server closed while idle is reopened once —
        safe for the ingest, which is idempotent by its external id."""
        for attempt in (0, 1):
            reader, writer = await self._open()
            head = (f"{method} {path} HTTP/1.1\r\n{self._fixed}Content-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            try:
                writer.write(head + body)
                status_and_headers = await reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise LeanError(f"{method} {path}: the server closed the connection") from None
                continue
            lines = status_and_headers.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            length, close = 0, False
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
                elif name == "transfer-encoding":
                    raise LeanError(f"{method} {path}: a chunked answer (not expected from these endpoints)")
            answer = await reader.readexactly(length) if length else b""
            if close:
                await self.close()
            return status, answer
        raise AssertionError("unreachable")

    async def post_json(self, path: str, payload: Any) -> tuple[int, Any]:
        status, body = await self.request("POST", path, json.dumps(payload).encode())
        return status, (json.loads(body) if body else None)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None
