"""MQTT ingest end to end (issue 3): Mosquitto -> `cityos sensing_ingest` -> PostgreSQL.

Figures, each printed as it is measured:
  - a plain paho QoS 1 subscriber (auto-ack, no storage) taking the same messages: the ceiling;
  - single-observation QoS 1 messages end to end into the database, one worker and two workers
    on the shared subscription (observations/s from the first publish to the last row stored);
  - p95 publish-to-stored latency at a paced rate (default 10,000/s);
  - gateway batches (a JSON list of observations per message), observations/s;
  - the worker's RSS at the start and the end of each run, and with ``--only memory`` each
    minute of an hour under a steady mixed load (flat memory).
The load generator is mosquitto_pub -l (a C publisher reading lines) on the same machine.
Example:

    CITYOS_VAR_DIR=/tmp/bench-mqtt DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_mqtt \\
        .venv/bin/python bench/sensing_mqtt.py --messages 100000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST, PORT = "127.0.0.1", 1883
# The production settings for ingest (docs): no cap on queued or in-flight messages, so a burst
# bigger than the workers' window waits in the broker instead of being dropped.
MOSQUITTO_CONF = """listener {port} 127.0.0.1
allow_anonymous true
max_queued_messages 0
max_inflight_messages 0
persistence false
"""


def start_mosquitto() -> subprocess.Popen[bytes]:
    """A private Mosquitto with the production settings on a free port (the default config drops
    QoS 1 messages beyond 1,000 queued per client)."""
    import socket
    import tempfile

    global PORT
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        PORT = int(sock.getsockname()[1])
    conf = Path(tempfile.mkdtemp()) / "mosquitto.conf"
    conf.write_text(MOSQUITTO_CONF.format(port=PORT))
    process = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL)  # noqa: S603,S607
    time.sleep(0.5)
    return process


def setup(count: int) -> list[int]:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from cityos.core.accounts.models import Department, Role, StaffRole, User
    from cityos.sensing import services
    from cityos.sensing.models import Datastream, ObservationType

    department, _ = Department.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    user, created = User.objects.get_or_create(username="bench-mqtt", defaults={"is_staff": True})
    if created:
        StaffRole.objects.create(user=user, role=Role.OPERATOR, department=department)
    existing = list(Datastream.objects.filter(thing__name="MQTT bench").order_by("pk").values_list("pk", flat=True))
    if len(existing) >= count:
        return existing[:count]
    thing = services.create_entity(
        "Thing",
        {
            "name": "MQTT bench",
            "description": "ingest benchmark",
            "properties": {"department": "bench"},
            "Locations": [
                {
                    "name": "bench",
                    "description": "bench",
                    "encodingType": "application/geo+json",
                    "location": {"type": "Point", "coordinates": [174.78, -41.29]},
                }
            ],
            "Datastreams": [
                {
                    "name": f"bench {i}",
                    "description": "bench",
                    "unitOfMeasurement": {"name": "degree Celsius", "symbol": "°C", "definition": "x"},
                    "observationType": ObservationType.MEASUREMENT,
                    "Sensor": {"name": "s", "description": "s", "encodingType": "text/plain", "metadata": "s"},
                    "ObservedProperty": {"name": "temperature", "definition": "x", "description": "x"},
                }
                for i in range(count)
            ],
        },
        user=user,
    )
    return list(thing.datastreams.order_by("pk").values_list("pk", flat=True))


def stored_total() -> int:
    """Observations stored so far, read from the hour rollups, which the same transaction keeps
    (the bench's results are all numbers): counting the observation rows instead, every 50 ms,
    took a core from the workers it measures."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(SUM(count), 0) FROM sensing_observationrollup WHERE period = 'hour'")
        return int(cursor.fetchone()[0])


def highest_id() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM sensing_observation")
        return int(cursor.fetchone()[0])


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Workers:
    """N `cityos sensing_ingest` processes on one shared subscription."""

    def __init__(self, count: int, *, publish_entities: bool = False) -> None:
        group = f"bench-{uuid.uuid4().hex[:6]}"
        env = {
            **os.environ,
            "CITYOS_MQTT_URL": f"mqtt://{HOST}:{PORT}",
            "CITYOS_MQTT_SHARE_GROUP": group,
            "CITYOS_INGEST_SESSION_EXPIRY": "60",
            "CITYOS_MQTT_PUBLISH_ENTITIES": "true" if publish_entities else "false",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
        }
        self.processes = [
            subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "cityos.cli", "sensing_ingest", "--id", f"{group}-{i}"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            for i in range(count)
        ]
        for process in self.processes:
            assert process.stdout is not None
            for line in process.stdout:
                if line.startswith("ready"):
                    break
        threading.Thread(target=self._drain, daemon=True).start()
        self.rss_start = [rss_mb(p.pid) for p in self.processes]

    def _drain(self) -> None:
        for process in self.processes:
            threading.Thread(target=lambda p=process: [None for _ in p.stdout], daemon=True).start()  # type: ignore[union-attr]

    def rss(self) -> list[float]:
        return [rss_mb(p.pid) for p in self.processes]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(20)


PUBLISHER_LINES = 20_000  # mosquitto_pub -l drops its connection when fed much more at once


def publish_lines(topic_lines: dict[str, list[str]] | list[tuple[str, list[str]]]) -> float:
    """mosquitto_pub -l per (topic, lines), in parallel, in rounds of at most PUBLISHER_LINES
    lines each (fed more, mosquitto 2.0's publisher disconnects before all are acknowledged);
    returns when the broker has them all."""
    started = time.perf_counter()
    streams = list(topic_lines.items() if isinstance(topic_lines, dict) else topic_lines)
    rounds = max((len(lines) for _topic, lines in streams), default=0)
    for first in range(0, rounds, PUBLISHER_LINES):
        procs = []
        for topic, lines in streams:
            part = lines[first : first + PUBLISHER_LINES]
            if not part:
                continue
            proc = subprocess.Popen(  # noqa: S603
                ["mosquitto_pub", "-h", HOST, "-p", str(PORT), "-q", "1", "-t", topic, "-l"],  # noqa: S607
                stdin=subprocess.PIPE,
                text=True,
            )
            procs.append((proc, part))
        for proc, part in procs:
            assert proc.stdin is not None
            proc.stdin.write("\n".join(part) + "\n")
            proc.stdin.close()
        for proc, _part in procs:
            proc.wait()
    return time.perf_counter() - started


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def single_lines(datastreams: list[int], total: int, salt: str) -> dict[str, list[str]]:
    base = datetime(2020, 1, 1, tzinfo=UTC)
    out: dict[str, list[str]] = {f"v1.1/Datastreams({pk})/Observations": [] for pk in datastreams}
    topics = list(out)
    for i in range(total):
        when = base + timedelta(milliseconds=i)
        out[topics[i % len(topics)]].append(
            f'{{"result": {i % 1000 / 10}, "phenomenonTime": "{stamp(when)}", "parameters": {{"run": "{salt}"}}}}'
        )
    return out


def wait_stored(before: int, total: int, timeout: float = 600) -> float:
    """When ``total`` more observations than ``before`` (a stored_total) are stored."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if stored_total() - before >= total:
            return time.perf_counter()
        time.sleep(0.05)
    raise SystemExit(f"only {stored_total() - before} of {total} stored in {timeout} s")


def run_single(datastreams: list[int], total: int, workers: int, *, publish_entities: bool = False) -> None:
    lines = single_lines(datastreams, total, uuid.uuid4().hex)
    pool = Workers(workers, publish_entities=publish_entities)
    try:
        first = stored_total()
        started = time.perf_counter()
        published = publish_lines(lines)
        done = wait_stored(first, total)
        elapsed = done - started
        entities = ", publishing entities" if publish_entities else ""
        print(
            f"single-observation QoS 1, {workers} worker(s){entities}: {total} in {elapsed:.2f} s = "
            f"{total / elapsed:,.0f} obs/s "
            f"(publisher alone {total / published:,.0f} msg/s); worker RSS MB start {pool.rss_start} end {pool.rss()}",
            flush=True,
        )
    finally:
        pool.stop()


def run_batches(datastreams: list[int], total: int, per_message: int, workers: int, form: str) -> None:
    """Gateway messages of ``per_message`` observations: a JSON list of Observations on the
    datastream's topic (``list``), or SensorThings dataArray on v1.1/CreateObservations."""
    import orjson

    base = datetime(2021, 1, 1, tzinfo=UTC)
    salt = uuid.uuid4().hex
    streams: list[tuple[str, list[str]]] = [
        ("v1.1/CreateObservations" if form == "dataArray" else f"v1.1/Datastreams({pk})/Observations", [])
        for pk in datastreams
    ]
    for m in range(total // per_message):
        times = [stamp(base + timedelta(milliseconds=m * per_message + j)) for j in range(per_message)]
        body: Any
        if form == "dataArray":
            rows: list[list[Any]] = [[when, j / 10] for j, when in enumerate(times)]
            rows[0] = [times[0], 0.0, {"run": salt}]
            body = [
                {
                    "Datastream": {"@iot.id": datastreams[m % len(datastreams)]},
                    "components": ["phenomenonTime", "result"],
                    "dataArray": rows[1:],
                },
                {
                    "Datastream": {"@iot.id": datastreams[m % len(datastreams)]},
                    "components": ["phenomenonTime", "result", "parameters"],
                    "dataArray": rows[:1],
                },
            ]
        else:
            body = [{"result": j / 10, "phenomenonTime": when} for j, when in enumerate(times)]
            body[0]["parameters"] = {"run": salt}
        streams[m % len(streams)][1].append(orjson.dumps(body).decode())
    pool = Workers(workers)
    try:
        first = stored_total()
        started = time.perf_counter()
        publish_lines(streams)
        done = wait_stored(first, total)
        elapsed = done - started
        print(
            f"gateway batches ({form}, {per_message} obs/message), {workers} worker(s): {total} in {elapsed:.2f} s = "
            f"{total / elapsed:,.0f} obs/s; worker RSS MB start {pool.rss_start} end {pool.rss()}",
            flush=True,
        )
    finally:
        pool.stop()


LATENCY_PUBLISHERS = 4  # each mosquitto_pub keeps 20 QoS 1 messages in flight: two queued lines in their pipes


def run_latency(datastreams: list[int], rate: int, seconds: float) -> None:
    """Paced publishing; each row's latency is when it became visible minus its phenomenonTime
    (stamped when the line is handed to a publisher, so the publishers' own queue counts too)."""
    from django.db import connection

    pool = Workers(1)
    latencies: list[float] = []
    try:
        first = highest_id()
        topic = f"v1.1/Datastreams({datastreams[0]})/Observations"
        procs = [
            subprocess.Popen(  # noqa: S603
                ["mosquitto_pub", "-h", HOST, "-p", str(PORT), "-q", "1", "-t", topic, "-l"],  # noqa: S607
                stdin=subprocess.PIPE,
                text=True,
            )
            for _ in range(LATENCY_PUBLISHERS)
        ]
        total = int(rate * seconds)
        stop = threading.Event()

        def feed() -> None:
            tick, sent, start = 0.02, 0, time.perf_counter()
            while sent < total:
                due = min(total, int((time.perf_counter() - start) * rate))
                if due > sent:
                    now = stamp(datetime.now(UTC))
                    for i in range(sent, due):
                        pipe = procs[i % LATENCY_PUBLISHERS].stdin
                        assert pipe is not None
                        pipe.write(f'{{"result": {i % 100}, "phenomenonTime": "{now}", "parameters": {{"n": {i}}}}}\n')
                    for proc in procs:
                        proc.stdin.flush()  # type: ignore[union-attr]
                    sent = due
                time.sleep(tick)
            for proc in procs:
                proc.stdin.close()  # type: ignore[union-attr]
            stop.set()

        feeder = threading.Thread(target=feed)
        feeder.start()
        last = first
        seen = 0
        deadline = time.perf_counter() + seconds + 60
        while seen < total and time.perf_counter() < deadline:
            with connection.cursor() as cursor:
                cursor.execute(
                    # LIMIT keeps the plan on the primary key: on a large table with stale statistics
                    # "id > last" alone was planned as a parallel sequential scan taking seconds,
                    # which the latencies then included.
                    "SELECT id, phenomenon_time_start FROM sensing_observation WHERE id > %s ORDER BY id LIMIT 20000",
                    [last],
                )
                rows = cursor.fetchall()
            now = datetime.now(UTC)
            for pk, when in rows:
                latencies.append((now - when).total_seconds())
                last = max(last, pk)
            seen += len(rows)
            time.sleep(0.02)
        feeder.join()
        latencies.sort()
        p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else float("nan")
        print(
            f"latency at {rate:,}/s for {seconds:.0f} s: {len(latencies)} stored, median "
            f"{statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms "
            f"(poll every 20 ms); worker RSS MB start {pool.rss_start} end {pool.rss()}",
            flush=True,
        )
    finally:
        pool.stop()


def run_memory(datastreams: list[int], rate: int, minutes: int) -> None:
    """One worker under a steady mixed load for ``minutes``: single messages at ``rate``, a
    gateway batch of 500 every 5 s and a malformed message every 10 s (dead letters); its RSS
    each minute, then the drift over the second half (flat memory, issue 3)."""
    pool = Workers(1)
    pid = pool.processes[0].pid
    topics = [f"v1.1/Datastreams({pk})/Observations" for pk in datastreams]
    procs = {
        topic: subprocess.Popen(  # noqa: S603
            ["mosquitto_pub", "-h", HOST, "-p", str(PORT), "-q", "1", "-t", topic, "-l"],  # noqa: S607
            stdin=subprocess.PIPE,
            text=True,
        )
        for topic in topics
    }
    samples = [rss_mb(pid)]
    print(f"memory run: {rate:,} msg/s for {minutes} min; worker RSS {samples[0]:.1f} MB at start", flush=True)
    first = stored_total()
    sent = batches = 0
    started = time.perf_counter()
    try:
        for minute in range(1, minutes + 1):
            while (elapsed := time.perf_counter() - started) < minute * 60:
                due = int(elapsed * rate)
                now = stamp(datetime.now(UTC))
                for i in range(sent, due):
                    line = f'{{"result": {i % 97 / 10}, "phenomenonTime": "{now}", "parameters": {{"n": {i}}}}}'
                    procs[topics[i % len(topics)]].stdin.write(line + "\n")  # type: ignore[union-attr]
                sent = max(sent, due)
                if int(elapsed // 5) > batches:
                    batches += 1
                    body = [{"result": j / 10, "phenomenonTime": now} for j in range(500)]
                    procs[topics[batches % len(topics)]].stdin.write(  # type: ignore[union-attr]
                        json.dumps(body) + "\n" + ('{"result": "not a number"}\n' if batches % 2 else "")
                    )
                for proc in procs.values():
                    proc.stdin.flush()  # type: ignore[union-attr]
                time.sleep(0.02)
            samples.append(rss_mb(pid))
            print(
                f"  minute {minute}: {sent:,} messages sent, {stored_total() - first:,} stored, "
                f"RSS {samples[-1]:.1f} MB",
                flush=True,
            )
        half = samples[len(samples) // 2 :]
        print(
            f"memory: RSS {samples[1]:.1f} MB after 1 min, {samples[-1]:.1f} MB after {minutes} min, max "
            f"{max(samples):.1f}; second half {min(half):.1f}-{max(half):.1f} MB "
            f"(drift {half[-1] - half[0]:+.1f} MB over {len(half) - 1} min)",
            flush=True,
        )
    finally:
        for proc in procs.values():
            proc.stdin.close()  # type: ignore[union-attr]
            proc.wait()
        pool.stop()


def run_plain_subscriber(datastreams: list[int], total: int) -> None:
    """A plain paho QoS 1 subscriber (auto acknowledgement, nothing stored): the ceiling."""
    code = f"""
import sys, time, paho.mqtt.client as m
from paho.mqtt.enums import CallbackAPIVersion
n=[0]; t=[0.0]
c=m.Client(CallbackAPIVersion.VERSION2, client_id='bench-plain-{uuid.uuid4().hex[:6]}', protocol=m.MQTTv5)
def on_message(c,u,msg):
    if n[0]==0: t[0]=time.perf_counter()
    n[0]+=1
c.on_message=on_message
c.on_subscribe=lambda *a: print('ready', flush=True)
c.on_connect=lambda c,u,f,r,p: c.subscribe('v1.1/+/Observations', 1)
p=m.Properties(m.PacketTypes.CONNECT); p.ReceiveMaximum=65535
c.connect('{HOST}', {PORT}, properties=p); c.loop_start()
deadline = time.time() + 20
while n[0] < {total} and time.time() < deadline: time.sleep(0.01)
print(f'done {{n[0]}} in {{time.perf_counter()-t[0]}}', flush=True)
"""
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)  # noqa: S603
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("ready"), first
    lines = single_lines(datastreams, total, uuid.uuid4().hex)
    started = time.perf_counter()
    publish_lines(lines)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    proc.wait(30)
    print(
        f"plain paho QoS 1 subscriber (no storage): {total} in {elapsed:.2f} s = {total / elapsed:,.0f} msg/s "
        f"({line.strip()})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000, help="single-observation messages per run")
    parser.add_argument("--batch-observations", type=int, default=500_000)
    parser.add_argument("--per-message", type=int, default=1000)
    parser.add_argument("--gateway-format", choices=["list", "dataArray"], default="list")
    parser.add_argument("--memory-rate", type=int, default=2000, help="messages/s of the memory run")
    parser.add_argument("--memory-minutes", type=int, default=60)
    parser.add_argument("--batch-workers", type=int, default=2, help="ingest workers for the gateway batches")
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--datastreams", type=int, default=4)
    parser.add_argument(
        "--broker", choices=["private", "system"], default="private", help="private tuned Mosquitto, or 127.0.0.1:1883"
    )
    parser.add_argument(
        "--only",
        default="plain,single1,single2,latency,batches",
        help="which runs, comma-separated (also: single3, three workers; entities, one worker publishing entities; "
        "memory, one worker for --memory-minutes)",
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityos.settings")
    sys.path.insert(0, str(ROOT / "src"))
    datastreams = setup(args.datastreams)
    from django.db import connection

    broker = start_mosquitto() if args.broker == "private" else None
    print(
        f"database: {connection.vendor}; broker: mosquitto {HOST}:{PORT} ({args.broker}); datastreams {datastreams}",
        flush=True,
    )
    only = set(args.only.split(","))
    try:
        if "plain" in only:
            run_plain_subscriber(datastreams, args.messages)
        if "single1" in only:
            run_single(datastreams, args.messages, 1)
        if "entities" in only:
            run_single(datastreams, args.messages, 1, publish_entities=True)
        if "single2" in only:
            run_single(datastreams, args.messages, 2)
        if "single3" in only:
            run_single(datastreams, args.messages, 3)
        if "latency" in only:
            run_latency(datastreams, args.rate, args.seconds)
        if "memory" in only:
            run_memory(datastreams, args.memory_rate, args.memory_minutes)
        if "batches" in only:
            run_batches(datastreams, args.batch_observations, args.per_message, args.batch_workers, args.gateway_format)
    finally:
        if broker is not None:
            broker.terminate()


if __name__ == "__main__":
    main()
