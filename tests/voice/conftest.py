"""The voice tests' real peers: SIPp (Debian's sip-tester) on loopback, speech from espeak-ng and sox.

Every test gets its own free ports. Without ``sipp`` the SIP tests skip with a reason naming it —
unless ``DOZVON_REQUIRE_SIPP=1`` (set by CI), where they fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dozvon.voice.sip import Call, SipAgent

SCENARIOS = Path(__file__).parent / "sipp"
SPEECH_RU = "Здравствуйте! Я звоню по поводу заказа номер сорок два. Доставка опаздывает на два дня."


def _missing(tool: str, package: str) -> None:
    reason = f"{tool} is not installed (Debian package {package}); the sipp SIP tests need it"
    if os.environ.get("DOZVON_REQUIRE_SIPP") == "1":
        pytest.fail(reason + " (DOZVON_REQUIRE_SIPP=1: the sipp tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sipp() -> str:
    path = shutil.which("sipp")
    if path is None:
        _missing("sipp", "sip-tester")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A Russian sentence spoken by espeak-ng, as SIPp plays it (8 kHz μ-law WAV) and as Dozvon
    plays it (8 kHz 16-bit PCM, raw)."""
    for tool, package in (("espeak-ng", "espeak-ng"), ("sox", "sox")):
        if shutil.which(tool) is None:
            _missing(tool, package)
    folder = tmp_path_factory.mktemp("speech")
    raw = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "ru", "-s", "150", "-w", str(raw), SPEECH_RU], check=True)
    ulaw = folder / "speech-ulaw.wav"
    pcm = folder / "speech.pcm"
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-e", "mu-law", str(ulaw)], check=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-e", "signed", "-b", "16", "-t", "raw", str(pcm)],
                   check=True)
    return {"ulaw": ulaw, "pcm": pcm}


def free_ports(count: int = 1, host: str = "127.0.0.1", step: int = 1) -> list[int]:
    """``count`` UDP ports, ``step`` apart, free on ``host`` now (random, so parallel runs rarely meet)."""
    for _ in range(200):
        base = random.randrange(20000, 60000 - count * step) & ~1
        ports = [base + i * step for i in range(count)]
        sockets = []
        try:
            for port in ports:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                sockets.append(s)
                s.bind((host, port))
            return ports
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free UDP ports")


@asynccontextmanager
async def running_agent(on_call: Callable[[Call], Awaitable[Any]] | None = None, **options: Any
                        ) -> AsyncIterator[SipAgent]:
    """A SIP agent on a free loopback port, allowing 127.0.0.1 only, with its own RTP ports."""
    low = free_ports(1)[0]
    options.setdefault("allowed_peers", ["127.0.0.1/32"])
    options.setdefault("rtp_ports", (low, low + 198))
    agent = SipAgent((options.pop("listen_host", "127.0.0.1"), options.pop("listen_port", 0)), on_call=on_call,
                     **options)
    await agent.start()
    try:
        yield agent
    finally:
        await agent.stop()


@dataclass
class SippRun:
    returncode: int
    output: str
    errors: str

    def counter(self, name: str) -> int:
        """A cumulative counter of SIPp's final screen ("Successful call", "Failed call")."""
        found = re.findall(rf"{name}\s*\|\s*\d+\s*\|\s*(\d+)", self.output)
        return int(found[-1]) if found else -1

    def explain(self) -> str:
        return f"sipp exited {self.returncode}\n--- errors ---\n{self.errors[-3000:]}\n--- screen ---\n{self.output[-3000:]}"


async def run_sipp(sipp: str, tmp_path: Path, target: int | None, *, scenario: str | None = None,
                   builtin: str | None = None, replace: dict[str, str] | None = None, calls: int = 1,
                   extra: list[str] | None = None, timeout: float = 30, local_port: int | None = None,
                   media_port: int | None = None, target_host: str = "127.0.0.1") -> SippRun:
    """Run SIPp against 127.0.0.1:``target`` (or as a UAS when ``target`` is None) and wait for it.
    ``replace`` fills placeholders of a scenario file (a file path, a duration)."""
    args = [sipp]
    if scenario is not None:
        text = (SCENARIOS / scenario).read_text()
        for key, value in (replace or {}).items():
            text = text.replace(key, value)
        path = tmp_path / f"{scenario}.{os.getpid()}.{random.randrange(1 << 30)}.xml"
        path.write_text(text)
        args += ["-sf", str(path)]
    else:
        args += ["-sn", builtin or "uac"]
    if target is not None:
        args.append(f"{target_host}:{target}")
    errors = tmp_path / f"sipp-errors-{random.randrange(1 << 30)}.log"
    args += ["-i", "127.0.0.1", "-mi", "127.0.0.1", "-p", str(local_port or free_ports(1)[0]),
             "-mp", str(media_port or free_ports(3, step=2)[0]), "-m", str(calls), "-nostdin",
             "-timeout", f"{int(timeout)}s", "-timeout_error", "-trace_err", "-error_file", str(errors)]
    args += extra or []
    process = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT, stdin=asyncio.subprocess.DEVNULL)
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout + 15)
    except TimeoutError:
        process.kill()
        out, _ = await process.communicate()
    return SippRun(process.returncode if process.returncode is not None else -1, out.decode("utf-8", "replace"),
                   errors.read_text("utf-8", "replace") if errors.exists() else "")


async def sipp_listening(run: asyncio.Future[SippRun], port: int, seconds: float = 20) -> None:
    """Until SIPp, started as a UAS on UDP ``port``, has that port open (the kernel's table of
    UDP sockets, /proc/net/udp and udp6, lists it): a fixed pause of half a second was too short
    on a slow, busy machine, and the call went to nobody (408 after its 10 s). If SIPp ends
    first, its own output says why."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not _udp_port_open(port):
        if run.done():
            raise AssertionError(f"SIPp ended before it listened on {port}: {run.result().explain()}")
        assert loop.time() < deadline, f"SIPp did not open UDP port {port} in {seconds} s"
        await asyncio.sleep(0.02)


def _udp_port_open(port: int) -> bool:
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            for line in lines.readlines()[1:]:
                local = line.split()[1]
                if int(local.rsplit(":", 1)[1], 16) == port:
                    return True
    return False


class RawPeer:
    """A plain UDP socket speaking SIP by hand: for what SIPp will not send (malformed, hostile,
    a deliberate missing ACK) and for checking answers byte by byte."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.setblocking(False)
        self.host, self.port = self.sock.getsockname()

    def send(self, data: bytes | str, port: int) -> None:
        self.sock.sendto(data.encode() if isinstance(data, str) else data, ("127.0.0.1", port))

    async def recv(self, timeout: float = 2.0) -> bytes | None:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.sock_recv(self.sock, 65536), timeout)
        except TimeoutError:
            return None

    async def recv_all(self, window: float) -> list[bytes]:
        got = []
        loop = asyncio.get_running_loop()
        end = loop.time() + window
        while (left := end - loop.time()) > 0:
            data = await self.recv(left)
            if data is None:
                break
            got.append(data)
        return got

    def close(self) -> None:
        self.sock.close()


def sip_request(method: str, port: int, peer: RawPeer, *, call_id: str, branch: str, cseq: int = 1,
                to_tag: str = "", body: str = "", extra: str = "") -> str:
    """A request from ``peer`` to the agent on ``port``, CRLF-terminated as SIP wants it."""
    content_type = "Content-Type: application/sdp\r\n" if body else ""
    to = f"<sip:100@127.0.0.1:{port}>" + (f";tag={to_tag}" if to_tag else "")
    return (f"{method} sip:100@127.0.0.1:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {peer.host}:{peer.port};branch={branch};rport\r\n"
            f"From: <sip:+79990001122@{peer.host}:{peer.port}>;tag=raw1\r\n"
            f"To: {to}\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\n"
            f"Contact: <sip:raw@{peer.host}:{peer.port}>\r\nMax-Forwards: 70\r\n{extra}{content_type}"
            f"Content-Length: {len(body.encode())}\r\n\r\n{body}")


def offer_sdp(port: int, codecs: str = "0 8 101", direction: str = "sendrecv") -> str:
    return ("v=0\r\no=raw 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            f"m=audio {port} RTP/AVP {codecs}\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
            f"a=rtpmap:101 telephone-event/8000\r\na={direction}\r\n")


def status_of(data: bytes | None) -> int | None:
    if not data or not data.startswith(b"SIP/2.0 "):
        return None
    return int(data[8:11])
