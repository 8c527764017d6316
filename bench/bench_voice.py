"""Concurrent calls with media on 2 cores: packet loss and jitter, CPU per call, set-up time.

For each number of concurrent calls, SIPp (Debian's sip-tester) places them all at once to a
Dozvon SIP agent running in its own process (pinned to two cores), each caller playing Russian
speech (espeak-ng → 8 kHz μ-law, ``rtp_stream``); the agent answers and echoes every frame back
through its paced sender — what bridging two legs costs. Printed:

* loss (%) and interarrival jitter (ms, RFC 3550) of the audio the agent received, mean and worst
  call;
* CPU per call: the agent process's CPU time divided by the call-seconds it carried;
* set-up time INVITE → 200 OK, p50/p99, from SIPp's response-time trace (1 ms resolution).

The baseline, measured in the same run: a plain asyncio UDP echo (no SIP, no decoding, no
pacing) in its own process on the same cores, fed the same packet rate by this process —
the cheapest anything in Python can move the same packets. No figure is asserted.

    .venv/bin/python bench/bench_voice.py [--calls 20,50,100] [--seconds 12]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import glob
import itertools
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "tests" / "voice" / "sipp" / "uac_speech.xml"
SPEECH = "Здравствуйте! Я звоню по поводу заказа номер сорок два. Доставка опаздывает на два дня."
PACKET = 12 + 160  # an RTP packet of 20 ms of G.711


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin_two_cores(pid: int) -> None:
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(pid, set(sorted(os.sched_getaffinity(0))[:2]))


# --- the processes under test -------------------------------------------------------------------

async def serve_agent(port: int, rtp_low: int) -> None:
    """The Dozvon side: a SIP agent echoing every call's audio; results as JSON when stdin closes."""
    from dozvon.voice.sip import Call, SipAgent

    calls: list[dict[str, Any]] = []

    async def on_call(call: Call) -> None:
        await call.answer()
        start = time.monotonic()
        while frame := await call.media.read():
            call.media.write(frame)
        calls.append({"seconds": time.monotonic() - start, **call.media.stats})

    agent = SipAgent(("127.0.0.1", port), allowed_peers=["127.0.0.1/32"], on_call=on_call,
                     rtp_ports=(rtp_low, rtp_low + 1998))
    await agent.start()
    cpu0 = time.process_time()
    print("READY", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    cpu = time.process_time() - cpu0
    await agent.stop()
    print(json.dumps({"cpu": cpu, "calls": calls, "late_ticks": agent.ticker.late_ticks}), flush=True)


class _Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.transport.sendto(data, addr)  # type: ignore[attr-defined]


async def serve_echo(count: int) -> None:
    """The baseline: ``count`` plain asyncio UDP echo sockets."""
    loop = asyncio.get_running_loop()
    ports = []
    for _ in range(count):
        transport, _ = await loop.create_datagram_endpoint(_Echo, local_addr=("127.0.0.1", 0))
        ports.append(transport.get_extra_info("sockname")[1])
    cpu0 = time.process_time()
    print("READY " + " ".join(map(str, ports)), flush=True)
    await loop.run_in_executor(None, sys.stdin.read)
    print(json.dumps({"cpu": time.process_time() - cpu0}), flush=True)


# --- the runs --------------------------------------------------------------------------------------

def make_speech(folder: Path) -> Path:
    raw, ulaw = folder / "speech.wav", folder / "speech-ulaw.wav"
    subprocess.run(["espeak-ng", "-v", "ru", "-s", "150", "-w", str(raw), SPEECH], check=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-e", "mu-law", str(ulaw)], check=True)
    return ulaw


def start(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, __file__, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    pin_two_cores(process.pid)
    assert process.stdout is not None
    ready = process.stdout.readline().strip()
    if not ready.startswith("READY"):
        process.kill()
        raise RuntimeError(f"{args[0]} did not start: {ready!r}")
    return process, ready


def finish(process: subprocess.Popen[str]) -> dict[str, Any]:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.close()
    out = process.stdout.read()
    process.wait(timeout=30)
    return dict(json.loads(out.strip().splitlines()[-1]))


def run_dozvon(calls: int, seconds: float, speech: Path, folder: Path) -> dict[str, Any]:
    port = free_port()
    agent, _ = start(["--serve-agent", str(port), str(random.randrange(20000, 40000) & ~1)])
    scenario = folder / f"calls{calls}.xml"
    scenario.write_text(SCENARIO.read_text().replace("SPEECH_FILE,1,", f"{speech},-1,")  # looped for the whole call
                        .replace("CALL_MS", str(int(seconds * 1000))))
    for old in glob.glob(str(folder / f"calls{calls}_*_rtt.csv")):
        os.remove(old)
    sipp = subprocess.run(["sipp", "-sf", str(scenario), f"127.0.0.1:{port}", "-i", "127.0.0.1", "-mi", "127.0.0.1",
                           "-p", str(free_port()), "-m", str(calls), "-l", str(calls), "-r", str(calls),
                           "-nostdin", "-timeout", f"{int(seconds + 60)}s", "-trace_rtt", "-rtt_freq", "1"],
                          cwd=folder, capture_output=True, text=True)
    time.sleep(0.5)
    result = finish(agent)
    rtts: list[float] = []
    for path in glob.glob(str(folder / f"calls{calls}_*_rtt.csv")):
        with open(path) as f:
            rtts += [float(row["response_time_ms"]) for row in csv.DictReader(f, delimiter=";")]
    result.update(sipp_rc=sipp.returncode, rtts=rtts)
    return result


async def _feed(ports: list[int], seconds: float) -> dict[str, Any]:
    """Send one 20 ms packet per port every 20 ms (as N callers would) and count the echoes."""
    loop = asyncio.get_running_loop()
    received = [0] * len(ports)
    arrivals: list[list[float]] = [[] for _ in ports]

    class Counter(asyncio.DatagramProtocol):
        def __init__(self, i: int) -> None:
            self.i = i

        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            received[self.i] += 1
            arrivals[self.i].append(loop.time())

    transports = []
    for i, port in enumerate(ports):
        t, _ = await loop.create_datagram_endpoint(lambda i=i: Counter(i), remote_addr=("127.0.0.1", port))
        transports.append(t)
    payload = os.urandom(PACKET)
    sent = 0
    deadline = loop.time()
    end = deadline + seconds
    while loop.time() < end:
        for t in transports:
            t.sendto(payload)
        sent += 1
        deadline += 0.02
        await asyncio.sleep(max(0.0, deadline - loop.time()))
    await asyncio.sleep(0.3)
    for t in transports:
        t.close()
    jitters = []
    for times in arrivals:
        j = 0.0
        for a, b in itertools.pairwise(times):
            j += (abs((b - a) - 0.02) * 1000 - j) / 16
        jitters.append(j)
    return {"sent": sent * len(ports), "received": sum(received), "jitters": jitters}


def run_baseline(calls: int, seconds: float) -> dict[str, Any]:
    echo, ready = start(["--serve-echo", str(calls)])
    ports = [int(p) for p in ready.split()[1:]]
    fed = asyncio.run(_feed(ports, seconds))
    result = finish(echo)
    return {**result, **fed}


def report(calls: int, seconds: float, dozvon: dict[str, Any], base: dict[str, Any]) -> None:
    legs = dozvon["calls"]
    call_seconds = sum(c["seconds"] for c in legs) or float("nan")
    expected = sum(c["packets_in"] + c["lost"] for c in legs) or 1
    loss = 100.0 * sum(c["lost"] for c in legs) / expected
    worst_loss = max((c["loss_pct"] for c in legs), default=float("nan"))
    jitter = [c["jitter_ms"] for c in legs]
    cpu_call = dozvon["cpu"] / call_seconds
    base_cpu = base["cpu"] / (calls * seconds)
    base_loss = 100.0 * (1 - base["received"] / base["sent"]) if base["sent"] else float("nan")
    print(f"\n{calls} concurrent calls × {seconds:.0f} s (speech in, echoed out; 2 cores)")
    print(f"  calls completed           {len(legs)}/{calls}   (SIPp exit {dozvon['sipp_rc']})")
    print(f"  packet loss               {loss:.3f} %   (worst call {worst_loss:.3f} %)")
    print(f"  jitter (RFC 3550)         mean {sum(jitter) / max(1, len(jitter)):.2f} ms, worst call "
          f"{max(jitter, default=float('nan')):.2f} ms")
    print(f"  CPU per call              {cpu_call * 1000:.1f} ms per call-second "
          f"({100 * cpu_call:.2f} % of a core per call)")
    print(f"  set-up INVITE → 200 OK    p50 {percentile(dozvon['rtts'], 50):.0f} ms, "
          f"p99 {percentile(dozvon['rtts'], 99):.0f} ms  ({len(dozvon['rtts'])} calls)")
    print(f"  paced ticks that ran late {dozvon['late_ticks']}")
    print(f"  baseline: plain asyncio UDP echo of {calls} streams at 50 packets/s each")
    print(f"    loss {base_loss:.3f} %, jitter mean {sum(base['jitters']) / max(1, len(base['jitters'])):.2f} ms, "
          f"CPU {base_cpu * 1000:.1f} ms per stream-second")
    print(f"  ratio: Dozvon's CPU per call / baseline's per stream = {cpu_call / base_cpu:.1f}×")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-agent":
        asyncio.run(serve_agent(int(sys.argv[2]), int(sys.argv[3])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-echo":
        asyncio.run(serve_echo(int(sys.argv[2])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", default="20,50,100", help="numbers of concurrent calls, comma-separated")
    parser.add_argument("--seconds", type=float, default=12.0, help="length of each call")
    args = parser.parse_args()
    for tool in ("sipp", "espeak-ng", "sox"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (Debian packages sip-tester, espeak-ng, sox)")
    pin_two_cores(os.getpid())
    with tempfile.TemporaryDirectory(prefix="bench-voice-") as tmp:
        folder = Path(tmp)
        speech = make_speech(folder)
        for calls in [int(n) for n in args.calls.split(",")]:
            dozvon = run_dozvon(calls, args.seconds, speech, folder)
            base = run_baseline(calls, args.seconds)
            report(calls, args.seconds, dozvon, base)


if __name__ == "__main__":
    main()
