"""Voice benchmark: concurrent calls bridged SIP ↔ WebRTC through Dozvon's call logic.

Голосовой бенчмарк: одновременные звонки, соединённые SIP ↔ WebRTC через логику звонков Dozvon.

The measured path (bench/voice_path.py): a real ``dozvon serve --sip-listen`` (SQLite, one phone
line, one queue, N operators); N callers dial at once over SIP and speak Russian speech (espeak-ng,
8 kHz G.711 μ-law); each call is answered, greeted, queued and offered by the routing engine to an
operator whose desktop (logged in, on the operators' WebSocket) accepts it; the operator's softphone
is an aiortc WebRTC peer that POSTs its SDP offer to the softphone endpoint and plays a tone. So the
audio goes caller → Dozvon's SIP leg → bridge → WebRTC leg → softphone, and back. Every frame is
tagged (sender, counter) in G.711 code values, so each direction's loss, RFC 3550 jitter and late
frames (later than a jitter buffer's depth) and added delay are counted end to end over the measured window; also
the receiving RTP stacks' own counters per hop. Server CPU per call-second and memory come from
/proc; INVITE → 200 OK and accept → first media packet are timed per call.

The step: N goes up (5, 10, 20, 40 by default) until a direction loses 1 % or more, or 1 % or more
of its frames arrive late, or not every call is bridged; the largest N that held is printed.

The baselines, measured in the same run for each N: the former bench — SIPp's calls to a bare SIP
agent in its own process echoing each caller's audio (the RTP stack alone, no call logic, no
WebRTC) — with a plain asyncio UDP echo of the same packet rate next to it; and N aiortc
connections alone (bench/voice_aiortc.py: pairs of peers sending PCMU both ways). The ratios of
CPU per call say what the call logic and the WebRTC leg cost over the RTP stack, and how much of a
call is aiortc. No figure is asserted.

    .venv/bin/python bench/bench_voice.py [--calls 5,10,20,40] [--seconds 15] [--no-baseline]
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
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: its sibling modules

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


def run_agent_echo(calls: int, seconds: float, speech: Path, folder: Path) -> dict[str, Any]:
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


def run_aiortc(calls: int, seconds: float) -> dict[str, Any]:
    """The second baseline (bench/voice_aiortc.py): ``calls`` aiortc connections alone (pairs
    of peers in one process on the same cores), their CPU per connection-second."""
    pairs = max(1, calls // 2)
    process = subprocess.Popen([sys.executable, str(ROOT / "bench" / "voice_aiortc.py"), str(pairs), str(seconds)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    pin_two_cores(process.pid)
    out, err = process.communicate(timeout=seconds + 120)
    if process.returncode != 0:
        tail = err.strip().splitlines()[-5:]
        return {"error": f"exit {process.returncode}: " + " | ".join(tail)}
    found = dict(json.loads(out.strip().splitlines()[-1]))
    found["cpu_connection"] = found["cpu"] / (found["peers"] * found["seconds"])
    found["delivered"] = 100.0 * found["frames"] / found["expected"] if found["expected"] else float("nan")
    return found


def echo_figures(calls: int, seconds: float, agent: dict[str, Any], base: dict[str, Any]) -> dict[str, float]:
    """The in-agent echo and the bare UDP echo of one step, as the table wants them."""
    legs = agent["calls"]
    call_seconds = sum(c["seconds"] for c in legs) or float("nan")
    expected = sum(c["packets_in"] + c["lost"] for c in legs) or 1
    jitter = [c["jitter_ms"] for c in legs]
    return {"completed": len(legs), "sipp_rc": agent["sipp_rc"],
            "loss": 100.0 * sum(c["lost"] for c in legs) / expected,
            "worst_loss": max((c["loss_pct"] for c in legs), default=float("nan")),
            "jitter": sum(jitter) / max(1, len(jitter)), "worst_jitter": max(jitter, default=float("nan")),
            "cpu_call": agent["cpu"] / call_seconds, "late_ticks": agent["late_ticks"],
            "setup_p50": percentile(agent["rtts"], 50), "setup_p99": percentile(agent["rtts"], 99),
            "setups": len(agent["rtts"]),
            "base_cpu": base["cpu"] / (calls * seconds),
            "base_loss": 100.0 * (1 - base["received"] / base["sent"]) if base["sent"] else float("nan"),
            "base_jitter": sum(base["jitters"]) / max(1, len(base["jitters"]))}


def report_echo(calls: int, seconds: float, e: dict[str, float]) -> None:
    """The former bench's output, kept as the baseline's: the SIP agent echoing in its own process."""
    print(f"\n  baseline: {calls} calls from SIPp echoed inside the SIP agent (no call logic, no WebRTC), "
          f"{seconds:.0f} s / база: эхо внутри SIP-агента")
    print(f"    calls completed           {e['completed']}/{calls}   (SIPp exit {e['sipp_rc']})")
    print(f"    packet loss               {e['loss']:.3f} %   (worst call {e['worst_loss']:.3f} %)")
    print(f"    jitter (RFC 3550)         mean {e['jitter']:.2f} ms, worst call {e['worst_jitter']:.2f} ms")
    print(f"    CPU per call              {e['cpu_call'] * 1000:.1f} ms per call-second "
          f"({100 * e['cpu_call']:.2f} % of a core per call)")
    print(f"    set-up INVITE → 200 OK    p50 {e['setup_p50']:.0f} ms, p99 {e['setup_p99']:.0f} ms  "
          f"({e['setups']:.0f} calls)")
    print(f"    paced ticks that ran late {e['late_ticks']:.0f}")
    print(f"    plain asyncio UDP echo of {calls} streams at 50 packets/s each: loss {e['base_loss']:.3f} %, "
          f"jitter mean {e['base_jitter']:.2f} ms, CPU {e['base_cpu'] * 1000:.1f} ms per stream-second")
    print(f"    ratio: the agent's CPU per call / the bare echo's per stream = {e['cpu_call'] / e['base_cpu']:.1f}×")


def _pct(values: list[float], q: float) -> float:
    return 1000 * percentile(values, q)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def path_figures(r: Any) -> dict[str, float]:
    """One step of the full path, summed over its calls."""
    figures: dict[str, float] = {}
    for name, directions in (("up", r.up), ("down", r.down)):
        sent = sum(d.sent for d in directions)
        figures[f"{name}_loss"] = 100.0 * (sent - sum(d.received for d in directions)) / sent if sent else float("nan")
        figures[f"{name}_late"] = 100.0 * sum(d.late for d in directions) / sent if sent else float("nan")
        figures[f"{name}_worst_loss"] = max((d.loss_pct for d in directions), default=float("nan"))
        figures[f"{name}_jitter"] = _mean([d.jitter_ms for d in directions])
        figures[f"{name}_worst_jitter"] = max((d.jitter_ms for d in directions), default=float("nan"))
        figures[f"{name}_delay"] = _mean([d.added_delay_ms for d in directions])
        figures[f"{name}_worst_delay"] = max((d.added_delay_ms for d in directions), default=float("nan"))
    sip_expected = sum(s["packets_in"] + s["lost"] for s in r.rtp_down_sip)
    figures["sip_loss"] = 100.0 * sum(s["lost"] for s in r.rtp_down_sip) / sip_expected if sip_expected else float("nan")
    figures["sip_jitter"] = _mean([s["jitter_ms"] for s in r.rtp_down_sip])
    web_expected = sum(w["received"] + w["lost"] for w in r.rtp_down_webrtc)
    figures["web_loss"] = (100.0 * sum(w["lost"] for w in r.rtp_down_webrtc) / web_expected
                           if web_expected else float("nan"))
    figures["web_jitter"] = _mean([w["jitter_ms"] for w in r.rtp_down_webrtc])
    call_seconds = r.bridged * r.window_s
    figures["cpu_call"] = r.server_cpu_s / call_seconds if call_seconds else float("nan")
    # Less what the server spends with no call at all (its timers, the desktops' sockets).
    figures["cpu_call_net"] = ((r.server_cpu_s - r.rest_share * r.window_s) / call_seconds
                               if call_seconds else float("nan"))
    figures["server_share"] = 100 * r.server_cpu_s / r.window_s
    figures["client_share"] = 100 * r.client_cpu_s / r.window_s
    figures["machine_share"] = 100 * r.machine_cpu_s / r.window_s
    figures["others_share"] = 100 * (r.machine_cpu_s - r.server_cpu_s - r.client_cpu_s) / r.window_s
    return figures


def held(r: Any, f: dict[str, float], max_share: float) -> str | None:
    """Why the step did not hold (None: it held)."""
    if r.bridged < r.calls or len(r.up) < r.calls:
        return f"only {min(r.bridged, len(r.up))} of {r.calls} calls bridged and measured"
    for name, label in (("up", "caller → operator"), ("down", "operator → caller")):
        if not f[f"{name}_loss"] < max_share:
            return f"{label}: {f[f'{name}_loss']:.2f} % of frames lost"
        if not f[f"{name}_late"] < max_share:
            return f"{label}: {f[f'{name}_late']:.2f} % of frames late"
    if r.misrouted:
        return f"{r.misrouted} streams heard by the wrong party"
    return None


def report_path(r: Any, f: dict[str, float], args: argparse.Namespace, why: str | None) -> None:
    print(f"\n{r.calls} concurrent calls, SIP ↔ Dozvon's call logic ↔ WebRTC softphone, "
          f"{r.window_s:.0f} s measured / {r.calls} звонков через логику звонков")
    print(f"  calls bridged               {r.bridged}/{r.calls}   (failures: {len(r.failures)}"
          f"{'; first: ' + r.failures[0] if r.failures else ''})")
    print(f"  caller → operator (e2e)     loss {f['up_loss']:.3f} % (worst call {f['up_worst_loss']:.3f} %), "
          f"late > {args.jitter_buffer_ms:.0f} ms {f['up_late']:.3f} %, "
          f"jitter mean {f['up_jitter']:.2f} ms (worst {f['up_worst_jitter']:.2f} ms), "
          f"added delay p99 mean {f['up_delay']:.0f} ms (worst {f['up_worst_delay']:.0f} ms)")
    print(f"  operator → caller (e2e)     loss {f['down_loss']:.3f} % (worst call {f['down_worst_loss']:.3f} %), "
          f"late > {args.jitter_buffer_ms:.0f} ms {f['down_late']:.3f} %, "
          f"jitter mean {f['down_jitter']:.2f} ms (worst {f['down_worst_jitter']:.2f} ms), "
          f"added delay p99 mean {f['down_delay']:.0f} ms (worst {f['down_worst_delay']:.0f} ms)")
    print(f"  per hop, RTP counters       Dozvon → caller (SIP): loss {f['sip_loss']:.3f} %, jitter "
          f"{f['sip_jitter']:.2f} ms; Dozvon → softphone (aiortc): loss {f['web_loss']:.3f} %, jitter "
          f"{f['web_jitter']:.2f} ms")
    if r.no_call:
        print(f"  softphone refused at first  {r.no_call} of {r.calls} joins answered 404 voice.no_call (the call not "
              f"yet attached on the server) and were retried; taken after p50 {_pct(r.no_call_waits, 50):.0f} ms, "
              f"max {1000 * max(r.no_call_waits, default=float('nan')):.0f} ms")
    print(f"  set-up INVITE → 200 OK      p50 {_pct(r.setup, 50):.0f} ms, p99 {_pct(r.setup, 99):.0f} ms "
          f"({len(r.setup)} calls)")
    print(f"  accept → first media        to the softphone p50 {_pct(r.answer_to_media, 50):.0f} ms, "
          f"p99 {_pct(r.answer_to_media, 99):.0f} ms; to the caller p50 {_pct(r.answer_to_media_back, 50):.0f} ms, "
          f"p99 {_pct(r.answer_to_media_back, 99):.0f} ms")
    print(f"  server CPU per call         {f['cpu_call'] * 1000:.1f} ms per call-second "
          f"({100 * f['cpu_call']:.2f} % of a core per call; the server {f['server_share']:.0f} % of a core); "
          f"less its {100 * r.rest_share:.1f} % at rest: {f['cpu_call_net'] * 1000:.1f} ms")
    print(f"  the server's busiest thread {100 * r.busiest_thread_s / r.window_s:.0f} % of a core (the voice loop, "
          f"one thread: calls, bridges and the WebRTC legs run on it)")
    print(f"  server memory               RSS {r.rss_mb:.0f} MiB (peak {r.peak_mb:.0f} MiB)")
    print(f"  the machine (2 cores = 200 %) busy {f['machine_share']:.0f} %: server {f['server_share']:.0f} %, "
          f"bench (callers + softphones) {f['client_share']:.0f} %, other processes {f['others_share']:.0f} %")
    print(f"  held: {'yes' if why is None else 'no — ' + why}")


def table(rows: list[tuple[Any, dict[str, float], dict[str, float] | None, str | None]],
          args: argparse.Namespace) -> None:
    print(f"\nSummary / Итог ({args.seconds:.0f} s measured per step; e2e loss and late > "
          f"{args.jitter_buffer_ms:.0f} ms, % of frames; jitter RFC 3550, mean of calls)\n")
    head = ("N", "bridged", "up loss/late %", "down loss/late %", "jitter up/down ms", "delay p99 up/down ms", "INVITE→200 p50/p99 ms",
            "accept→media p50/p99 ms", "CPU ms/call-s (net)", "voice thread %", "echo CPU ms/call-s", "ratio", "aiortc ms/conn-s", "RSS MiB",
            "machine busy %", "held")
    lines = [head]
    for r, f, e, why in rows:
        echo = e["cpu_call"] * 1000 if e else float("nan")
        lines.append((str(r.calls), f"{r.bridged}", f"{f['up_loss']:.2f}/{f['up_late']:.2f}",
                      f"{f['down_loss']:.2f}/{f['down_late']:.2f}", f"{f['up_jitter']:.1f}/{f['down_jitter']:.1f}",
                      f"{f['up_worst_delay']:.0f}/{f['down_worst_delay']:.0f}",
                      f"{_pct(r.setup, 50):.0f}/{_pct(r.setup, 99):.0f}",
                      f"{_pct(r.answer_to_media, 50):.0f}/{_pct(r.answer_to_media, 99):.0f}",
                      f"{f['cpu_call'] * 1000:.1f} ({f['cpu_call_net'] * 1000:.1f})", f"{100 * r.busiest_thread_s / r.window_s:.0f}", f"{echo:.1f}", f"{f['cpu_call'] * 1000 / echo:.1f}×",
                      f"{(e or {}).get('aiortc', float('nan')) * 1000:.1f}",
                      f"{r.rss_mb:.0f}", f"{f['machine_share']:.0f}", "yes" if why is None else "no"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for line in lines:
        print("  " + "  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)))
    good = [r.calls for r, _, _, why in rows if why is None]
    print(f"\nThe largest N that held / наибольшее N без потерь: {max(good) if good else 'none'}"
          + ("" if good else f" ({rows[0][3]})" if rows else ""))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-agent":
        asyncio.run(serve_agent(int(sys.argv[2]), int(sys.argv[3])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-echo":
        asyncio.run(serve_echo(int(sys.argv[2])))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", default="5,10,20,40",
                        help="numbers of concurrent calls to step through, comma-separated, ascending / "
                             "числа одновременных звонков по шагам, через запятую, по возрастанию")
    parser.add_argument("--seconds", type=float, default=15.0,
                        help="the measured window of each step, seconds / длительность измерения шага, с")
    parser.add_argument("--max-share", type=float, default=1.0,
                        help="a step holds while each direction loses less than this %% of frames and has less "
                             "than this %% late / шаг выдержан, пока потери и опоздания кадров ниже этого %%")
    parser.add_argument("--jitter-buffer-ms", type=float, default=60.0,
                        help="a frame arriving this much later than the window's quickest is late / "
                             "кадр, пришедший на столько позже самого быстрого, опоздал")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the in-agent echo and the bare UDP echo / без базовых замеров (эхо)")
    parser.add_argument("--keep-going", action="store_true",
                        help="run every step even after one did not hold / все шаги, даже после невыдержанного")
    args = parser.parse_args()
    try:
        steps = [int(n) for n in args.calls.split(",")]
    except ValueError:
        parser.error(f"--calls: whole numbers separated by commas, got {args.calls!r} / "
                     f"нужны целые числа через запятую")
    if not steps or min(steps) < 1 or args.seconds <= 0:
        parser.error("--calls and --seconds must be positive / --calls и --seconds должны быть положительными")
    for tool, package in (("sipp", "sip-tester"), ("espeak-ng", "espeak-ng"), ("sox", "sox")):
        if shutil.which(tool) is None:
            sys.exit(f"bench_voice: {tool} is not installed (Debian package {package}) / "
                     f"не установлен {tool} (пакет Debian {package})")
    from voice_path import BenchError, measure

    from dozvon.voice import audio

    # A plain kill stops the servers this started too (their finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("bench_voice: stopped / остановлен"))
    pin_two_cores(os.getpid())
    cores = set(sorted(os.sched_getaffinity(0))[:2]) if hasattr(os, "sched_getaffinity") else None
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-voice-") as tmp:
            folder = Path(tmp)
            speech_wav = make_speech(folder)
            speech = audio.frames(audio.Speech().say(SPEECH, "ru"))
            for calls in steps:
                r = measure(calls, args.seconds, speech, folder, cores, args.jitter_buffer_ms)
                f = path_figures(r)
                why = held(r, f, args.max_share)
                report_path(r, f, args, why)
                e = None
                if not args.no_baseline:
                    e = echo_figures(calls, args.seconds, run_agent_echo(calls, args.seconds, speech_wav, folder),
                                     run_baseline(calls, args.seconds))
                    report_echo(calls, args.seconds, e)
                    print(f"  ratio: the full path's CPU per call / the in-agent echo's = "
                          f"{f['cpu_call'] / e['cpu_call']:.1f}×")
                    a = run_aiortc(calls, args.seconds)
                    if "error" in a:
                        print(f"  baseline: aiortc alone failed / не удалось: {a['error']}")
                    else:
                        e["aiortc"] = a["cpu_connection"]
                        print(f"  baseline: {a['peers']} aiortc connections alone (pairs of peers, PCMU both ways, one "
                              f"process) / только aiortc: {a['cpu_connection'] * 1000:.1f} ms per connection-second "
                              f"({a['delivered']:.1f} % of frames delivered); the full path's CPU per call is "
                              f"{f['cpu_call_net'] / a['cpu_connection']:.2f}× one aiortc connection")
                rows.append((r, f, e, why))
                if why is not None and not args.keep_going:
                    break
    except BenchError as error:
        sys.exit(f"bench_voice: {error}")
    table(rows, args)


if __name__ == "__main__":
    main()
