#!/usr/bin/env python3
"""Runner benchmark: directive latency (POST /steer -> line in the child's file), kill latency
(DELETE -> runner and child gone), CPU of idle runners. Needs a silo (SESSION_MESH_URL), an admin
key (SESSION_API_KEY) and the session-mesh command (SESSION_MESH_CLI, e.g. "dotnet cli/.../session-mesh.dll").
Usage: runner-bench.py [steers] [idle_runners] [idle_seconds]"""
import json, os, shlex, signal, subprocess, sys, tempfile, time, urllib.request, uuid

URL = os.environ.get("SESSION_MESH_URL", "http://127.0.0.1:5280").rstrip("/")
KEY = os.environ["SESSION_API_KEY"]
CLI = shlex.split(os.environ.get("SESSION_MESH_CLI", "session-mesh"))
STEERS = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
IDLE = int(sys.argv[2]) if len(sys.argv) > 2 else 100
IDLE_SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 30

def call(method, path, body=None):
    req = urllib.request.Request(URL + "/api/session-mesh" + path, method=method,
        data=None if body is None else json.dumps(body).encode(), headers={"Authorization": "Bearer " + KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")

# A child that answers SIGTERM at once; idle runners get one that never wakes (so 100 of them do not
# load the machine with 500 sleeps a second).
BUSY_CHILD = "trap 'exit 143' TERM; while true; do sleep 0.2; done"
IDLE_CHILD = "exec sleep 3600"

def start(agent, directory, ttl=30, child=BUSY_CHILD):
    file = os.path.join(directory, agent + ".jsonl")
    p = subprocess.Popen(CLI + ["run", "--agent-id", agent, "--spec", "bench", "--lease-ttl", str(ttl), "--grace", "10",
        "--directives-file", file, "--", "bash", "-c", child],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while True:
        line = p.stderr.readline()
        if "runs session" in line or not line:
            return p, file

def lines(file):
    try:
        with open(file) as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0

def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]

def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

work = tempfile.mkdtemp(prefix="runner-bench-")
run = uuid.uuid4().hex[:8]

# 1. Directive latency (steers = 0 skips 1 and 2).
agent = f"bench-{run}"
if STEERS == 0:
    agent = None
latencies = []
if agent:
    p, file = start(agent, work)
    time.sleep(2)
for i in range(STEERS):
    before = lines(file)
    t0 = time.perf_counter()
    call("POST", "/steer", {"agent_id": agent, "direction": f"d{i}"})
    while lines(file) <= before:
        time.sleep(0.0005)
    latencies.append((time.perf_counter() - t0) * 1000)
if latencies: print(f"directive latency over {STEERS} steers: p50 {pct(latencies, 0.5):.1f} ms, p99 {pct(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms")

# 2. Kill latency: graceful (cooperative child) and forced, DELETE -> runner (and so child) gone.
for force in ((False, True) if agent else ()):
    samples = []
    for i in range(5):
        a = f"kill-{run}-{int(force)}-{i}"
        q, _ = start(a, work)
        time.sleep(1)
        t0 = time.perf_counter()
        call("DELETE", f"/agents/{a}" + ("?force=true" if force else ""))
        q.wait()
        samples.append((time.perf_counter() - t0) * 1000)
    print(f"{'forced' if force else 'graceful'} kill latency (5 kills): median {pct(samples, 0.5):.0f} ms, max {max(samples):.0f} ms")
if agent:
    call("DELETE", f"/agents/{agent}?force=true")
    p.wait()

# 3. CPU of idle runners (heartbeating at TTL/3 = 10 s, directive stream open).
runners = [start(f"idle-{run}-{i}", work, child=IDLE_CHILD)[0] for i in range(IDLE)]
time.sleep(5)
before = {q.pid: cpu_seconds(q.pid) for q in runners}
time.sleep(IDLE_SECONDS)
used = sum(cpu_seconds(q.pid) - before[q.pid] for q in runners)
print(f"{IDLE} idle runners over {IDLE_SECONDS:.0f} s: {used / IDLE_SECONDS * 100:.2f}% of one core in all, {used / IDLE_SECONDS / IDLE * 100:.3f}% each")
for i, q in enumerate(runners):
    q.send_signal(signal.SIGTERM)
for q in runners:
    q.wait()
