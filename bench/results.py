#!/usr/bin/env python3
"""Ends bench/run.sh: adds the wrk figures, the derived ratios, the machine and the commit to the
run's figures, writes bench/results/latest.json, draws bench/results/scale.png with gnuplot and
prints issue 15's table (figure, value, goal)."""
import argparse
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timezone

parser = argparse.ArgumentParser()
parser.add_argument("figures")
parser.add_argument("--wrk-live", action="append", required=True, help="one wrk output per round")
parser.add_argument("--wrk-heartbeat", action="append", required=True, help="one wrk output per round, same order")
parser.add_argument("--workstation-gc", help="figures of the same bench run with DOTNET_gcServer=0")
parser.add_argument("--quick", default="0")
parser.add_argument("--seconds", type=float, required=True)
parser.add_argument("--load-at-start", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

with open(args.figures) as f:
    figures = json.load(f)


def wrk(path):
    text = open(path).read()
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\b", text, re.M)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if not rate:
        sys.exit(f"results.py: no 'Requests/sec' in {path}")
    if errors:
        sys.exit(f"results.py: {errors.group(1)} requests failed in {path}")
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return float(rate.group(1)), float(p99.group(1)) * scale[p99.group(2)] if p99 else None


def cpu_us_per_request(path):
    """The silo's CPU time per request in one round (run.sh appends the CPU seconds it spent)."""
    text = open(path).read()
    requests = re.search(r"^\s*(\d+) requests in", text, re.M)
    cpu = re.search(r"^silo CPU seconds: ([\d.]+)", text, re.M)
    return float(cpu.group(1)) * 1e6 / int(requests.group(1)) if requests and cpu else None


def median(values):
    values = sorted(v for v in values if v is not None)
    return values[len(values) // 2] if values else None


# The embedded bench again under workstation GC: each of its figures beside the default's, suffixed.
if args.workstation_gc:
    with open(args.workstation_gc) as f:
        for name, value in json.load(f).items():
            figures[f"{name}_workstation_gc"] = value

# Rounds alternate the two endpoints on the same silo, so a burst of load from elsewhere on the
# machine hits one round rather than one side; the figure is the median round by ratio.
rounds = sorted(((*wrk(l), *wrk(h)) for l, h in zip(args.wrk_live, args.wrk_heartbeat, strict=True)), key=lambda r: r[2] / r[0])
live, live_p99, beat, beat_p99 = rounds[len(rounds) // 2]
figures["http_heartbeat_vs_health_rounds"] = [round(r[2] / r[0], 4) for r in rounds]
figures["http_health_live_per_s"] = round(live, 1)
figures["http_heartbeats_per_s"] = round(beat, 1)
figures["http_health_live_p99_ms"] = live_p99
figures["http_heartbeat_p99_ms"] = beat_p99
figures["http_heartbeat_vs_health"] = round(beat / live, 4)
# The silo's CPU per request, the median round of each: steadier than rates, which also depend on
# how much of the two cores wrk takes. Their ratio is what a heartbeat costs beyond a trivial request.
live_cpu = median(cpu_us_per_request(p) for p in args.wrk_live)
beat_cpu = median(cpu_us_per_request(p) for p in args.wrk_heartbeat)
if live_cpu and beat_cpu:
    figures["http_health_live_cpu_us"] = round(live_cpu, 1)
    figures["http_heartbeat_cpu_us"] = round(beat_cpu, 1)
    figures["http_heartbeat_vs_health_cpu"] = round(live_cpu / beat_cpu, 4)
if "heartbeats_per_s" in figures and "pg_row_update_heartbeats_per_s" in figures:
    figures["heartbeat_vs_pg_row_update"] = round(figures["heartbeats_per_s"] / figures["pg_row_update_heartbeats_per_s"], 2)
for at in ("1k", "10k", "100k"):
    ours, old = figures.get(f"scale_{at}_spawn_per_s"), figures.get(f"json_file_spawns_per_s_{at}")
    if ours and old:
        figures[f"spawn_vs_json_file_{at}"] = round(ours / old, 1)


def git(*command):
    return subprocess.run(["git", *command], capture_output=True, text=True).stdout.strip()


result = {
    "run": {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "bench/run.sh" + (" --quick" if args.quick == "1" else ""),
        "seconds_per_figure": args.seconds,
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no")),
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average_at_start": args.load_at_start,
        "load_average_at_end": " ".join(open("/proc/loadavg").read().split()[:3]),
    },
    "figures": dict(sorted(figures.items())),
}
os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "latest.json"), "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")

# The scale curve: ours per stored-session count, and the JSON-file design where it was measured.
points = [(1_000, "1k"), (10_000, "10k"), (100_000, "100k"), (1_000_000, "1m")]
data = os.path.join(args.out, "scale.dat")
with open(data, "w") as f:
    f.write("# stored spawn handoff list stats json_file_spawn\n")
    for n, at in points:
        row = [figures.get(f"scale_{at}_{op}_per_s") for op in ("spawn", "handoff", "list", "stats")] + [figures.get(f"json_file_spawns_per_s_{at}")]
        f.write(" ".join([str(n)] + ["NaN" if v is None else str(v) for v in row]) + "\n")
plot = f"""
set terminal pngcairo size 900,620 font ',11'
set output '{os.path.join(args.out, "scale.png")}'
set title 'Operations/s by sessions stored: embedded SQLite, {result["run"]["date"][:10]}, {os.cpu_count()} cores'
set logscale xy
set xlabel 'sessions stored'
set ylabel 'operations per second (log)'
set xtics ('1k' 1000, '10k' 10000, '100k' 100000, '1M' 1000000)
set key below
set xrange [700:1400000]
set grid
plot '{data}' using 1:2 with linespoints lw 2 title 'spawn', \
     '' using 1:3 with linespoints lw 2 title 'handoff', \
     '' using 1:4 with linespoints lw 2 title 'list page of 100', \
     '' using 1:5 with linespoints lw 2 title 'stats', \
     '' using 1:6 with linespoints lw 2 dt 2 title 'spawn, one JSON file (older tool)'
"""
subprocess.run(["gnuplot"], input=plot, text=True, check=True)
os.remove(data)

goals = [
    ("heartbeat_vs_noop", "≥ 0.6"),
    ("heartbeat_vs_pg_row_update", "> 1"),
    ("pg_spawn_vs_upsert", "≥ 0.6"),
    ("pg_handoff_vs_upsert", "≥ 0.35"),
    ("sqlite_spawns_per_s", "≥ 4000"),
    ("alive_p99_ms_100k", "< 20"),
    ("scale_1m_vs_1k_spawn", "≥ 0.8"),
    ("scale_1m_vs_1k_handoff", "≥ 0.8"),
    ("scale_1m_vs_1k_list", "≥ 0.8"),
    ("scale_1m_vs_1k_stats", "≥ 0.8"),
    ("http_heartbeat_vs_health", "≥ 0.6"),
    ("memory_per_active_session_bytes", "documented"),
    ("memory_per_tracked_lease_bytes", "documented"),
]
print(f"\n| figure | {result['run']['date'][:10]} | goal |\n|---|---:|---|")
for name, goal in goals:
    print(f"| `{name}` | {figures.get(name, 'not measured')} | {goal} |")
print(f"\n{len(figures)} figures in {os.path.join(args.out, 'latest.json')}; curve in {os.path.join(args.out, 'scale.png')}")
