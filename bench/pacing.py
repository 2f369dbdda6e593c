"""Pacing benchmark: predictive vs progressive vs VICIdial adaptive over a grid of campaigns.

    python bench/pacing.py [--answer-rates 0.1,0.2,0.3,0.4] [--teams 5,20,50,200]
        [--talk-mean 120] [--talk-sigma 0.6] [--wrap 10] [--ring-timeout 25] [--hours 8]
        [--seeds 3] [--drift] [--machines 0.2] [--breaks] [--max-lines N]
        [--pacers progressive,vicidial_adapt,predictive] [--json OUT] [--plot OUT.png]

Every (answer rate, team, pacer) cell is simulated with ``engine.pacing.sim`` for each
seed (the same seeds for every pacer) and averaged. Progressive and VICIdial adaptive are
the baselines measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import struct
import sys
import time
import zlib
from multiprocessing import Pool

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from engine.pacing.base import make_pacer  # noqa: E402
from engine.pacing.sim import SimConfig, simulate  # noqa: E402

log = logging.getLogger("bench.pacing")

METRICS = ("occupancy", "talk_min_per_hour", "abandon_rate", "dials_per_agent_hour",
           "connects_per_agent_hour", "p95_wait")
TARGET_OCCUPANCY = {200: 0.985, 50: 0.95, 20: 0.92, 5: 0.75}


def _floats(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from exc


def _ints(text: str) -> list[int]:
    return [int(x) for x in _floats(text)]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--answer-rates", type=_floats, default=[0.1, 0.2, 0.3, 0.4])
    parser.add_argument("--teams", type=_ints, default=[5, 20, 50, 200])
    parser.add_argument("--talk-mean", type=float, default=120.0)
    parser.add_argument("--talk-sigma", type=float, default=0.6)
    parser.add_argument("--wrap", type=float, default=10.0)
    parser.add_argument("--ring-timeout", type=float, default=25.0)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--drift", action="store_true", help="answer rate 30%%->10%% at hour 2, talk +50%% at hour 4")
    parser.add_argument("--machines", type=float, default=0.0, help="share of answers that are machines")
    parser.add_argument("--breaks", action="store_true", help="agent breaks, late logins, early logouts")
    parser.add_argument("--max-lines", type=int, default=None)
    parser.add_argument("--pacers", default="progressive,vicidial_adapt,predictive")
    parser.add_argument("--vicidial-method", default="ADAPT_HARD_LIMIT",
                        choices=("ADAPT_HARD_LIMIT", "ADAPT_AVERAGE", "ADAPT_TAPERED"))
    parser.add_argument("--predictive-settings", type=json.loads, default={},
                        help='JSON keyword arguments for the predictive pacer, e.g. {"threshold": 0.05}')
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--json", dest="json_out")
    parser.add_argument("--plot", dest="plot_out")
    args = parser.parse_args(argv)
    if args.seeds < 1 or args.hours <= 0.25:
        parser.error("--seeds must be >= 1 and --hours > 0.25 (the warm-up is 15 minutes)")
    return args


def _config(args: argparse.Namespace, answer_rate: float, agents: int) -> SimConfig:
    drift = {}
    if args.drift:
        drift = {"answer_rate_changes": ((7200.0, 0.1),), "talk_factor_changes": ((14400.0, 1.5),)}
        answer_rate = 0.3
    return SimConfig(agents=agents, hours=args.hours, answer_rate=answer_rate,
                     machine_share=args.machines, ring_timeout=args.ring_timeout,
                     talk_mean=args.talk_mean, talk_sigma=args.talk_sigma, wrap_mean=args.wrap,
                     breaks=args.breaks, max_lines=args.max_lines, **drift)  # type: ignore[arg-type]


def _run(job: tuple[SimConfig, str, dict, int]) -> tuple[float, str, int, int, dict[str, float], float]:
    config, mode, settings, seed = job
    started = time.perf_counter()
    result = simulate(config, make_pacer(mode, **settings), seed=seed)
    return config.answer_rate, mode, config.agents, seed, result.metrics(), time.perf_counter() - started


def run_grid(args: argparse.Namespace) -> list[dict[str, float | str | int]]:
    pacers = [p.strip() for p in args.pacers.split(",") if p.strip()]
    rates = [0.3] if args.drift else args.answer_rates
    settings: dict[str, dict] = {"vicidial_adapt": {"method": args.vicidial_method},
                                 "predictive": dict(args.predictive_settings)}
    if args.vicidial_method == "ADAPT_TAPERED":
        settings["vicidial_adapt"]["shift_end"] = args.hours * 3600.0
    jobs = [(_config(args, rate, team), mode, settings.get(mode, {}), seed)
            for team in sorted(args.teams, reverse=True) for rate in rates
            for mode in pacers for seed in range(args.seeds)]
    with Pool(args.processes) as pool:
        runs = pool.map(_run, jobs, chunksize=1)
    rows: list[dict[str, float | str | int]] = []
    for team in args.teams:
        for rate in rates:
            for mode in pacers:
                cell = [r for r in runs if r[0] == rate and r[1] == mode and r[2] == team]
                row: dict[str, float | str | int] = {"pacer": mode, "answer_rate": rate, "agents": team,
                                                     "seeds": len(cell), "seconds": sum(r[5] for r in cell)}
                for metric in METRICS:
                    row[metric] = sum(r[4][metric] for r in cell) / len(cell)
                row["abandon_rate_max_seed"] = max(r[4]["abandon_rate"] for r in cell)
                rows.append(row)
    return rows


def _find(rows: list[dict], mode: str, rate: float, team: int) -> dict | None:
    for row in rows:
        if row["pacer"] == mode and row["answer_rate"] == rate and row["agents"] == team:
            return row
    return None


def print_table(rows: list[dict], args: argparse.Namespace) -> None:
    header = (f"{'rate':>5} {'agents':>6} {'pacer':<15} {'occ':>6} {'talk/h':>7} {'aband%':>7} "
              f"{'dials/h':>8} {'conn/h':>7} {'p95wait':>7} {'sec':>6}")
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row['answer_rate']:>5.2f} {row['agents']:>6} {row['pacer']:<15} {row['occupancy']:>6.3f} "
              f"{row['talk_min_per_hour']:>7.2f} {100 * row['abandon_rate']:>7.2f} "
              f"{row['dials_per_agent_hour']:>8.1f} {row['connects_per_agent_hour']:>7.2f} "
              f"{row['p95_wait']:>7.2f} {row['seconds']:>6.1f}")
    print()
    print("predictive ratios (occupancy, talk min/h) and targets")
    print(f"{'rate':>5} {'agents':>6} {'vs progressive':>16} {'vs vicidial':>14} {'occ target':>10} {'met':>4}")
    for row in rows:
        if row["pacer"] != "predictive":
            continue
        rate, team = row["answer_rate"], row["agents"]
        parts = []
        for base in ("progressive", "vicidial_adapt"):
            other = _find(rows, base, rate, team)
            parts.append(f"{row['occupancy'] / other['occupancy']:.3f}/{row['talk_min_per_hour'] / other['talk_min_per_hour']:.3f}"
                         if other and other["occupancy"] else "-")
        target = TARGET_OCCUPANCY.get(int(team))
        vici = _find(rows, "vicidial_adapt", rate, team)
        met = row["abandon_rate"] <= 0.03 and (target is None or row["occupancy"] >= target)
        if vici:
            met = met and row["occupancy"] > vici["occupancy"] and row["abandon_rate"] <= max(vici["abandon_rate"], 0.03)
        print(f"{rate:>5.2f} {team:>6} {parts[0]:>16} {parts[1]:>14} {target or 0:>10.3f} {'yes' if met else 'NO':>4}")


# -- a dependency-free PNG bar chart (matplotlib is not installed) ---------------------------
_FONT = {  # 3x5 glyphs, rows top to bottom, 3 bits each
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
    "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001010010010",
    "8": "111101111101111", "9": "111101111001111", ".": "000000000000010", "%": "101001010100101",
    " ": "000000000000000", "-": "000000111000000", "/": "001001010100100",
}
for _ch, _bits in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", (
        "010101111101101", "110101110101110", "111100100100111", "110101101101110", "111100110100111",
        "111100110100100", "111100101101111", "101101111101101", "111010010010111", "001001001101111",
        "101101110101101", "100100100100111", "101111111101101", "110101101101101", "111101101101111",
        "111101111100100", "111101101111011", "110101110101101", "111100111001111", "111010010010010",
        "101101101101111", "101101101101010", "101101111111101", "101101010101101", "101101111010010",
        "111001010100111"), strict=True):
    _FONT[_ch] = _bits
_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189)]


def _text(image: np.ndarray, x: int, y: int, text: str, scale: int = 2) -> None:
    for i, ch in enumerate(text.upper()):
        bits = _FONT.get(ch, _FONT[" "])
        for row in range(5):
            for col in range(3):
                if bits[row * 3 + col] == "1":
                    x0, y0 = x + (i * 4 + col) * scale, y + row * scale
                    image[y0:y0 + scale, x0:x0 + scale] = 0


def _png(image: np.ndarray) -> bytes:
    height, width, _ = image.shape
    raw = b"".join(b"\x00" + image[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def bar_chart_png(values: list[list[float]], groups: list[str], series: list[str], title: str) -> bytes:
    """Grouped bar chart of values in [0, 1] (one group per entry, one bar per series) as PNG bytes."""
    bar, gap, bottom, left = 10, 14, 60, 50
    top = 40 + 14 * len(series)
    width = max(420, left + len(groups) * (len(series) * bar + gap) + 20)
    height = top + 300 + bottom
    image = np.full((height, width, 3), 255, dtype=np.uint8)
    base = top + 300
    for tick in range(0, 11, 2):
        y = base - tick * 30
        image[y, left - 4:width - 10] = (220, 220, 220)
        _text(image, 4, y - 5, f"{tick / 10:.1f}")
    image[top:base + 1, left - 1] = 0
    image[base, left - 1:width - 10] = 0
    for g, group in enumerate(values):
        x = left + gap // 2 + g * (len(series) * bar + gap)
        for s, value in enumerate(group):
            h = int(round(max(0.0, min(1.0, value)) * 300))
            image[base - h:base, x + s * bar:x + (s + 1) * bar - 1] = _COLOURS[s % len(_COLOURS)]
        label = groups[g]
        for line, part in enumerate(label.split(" ")):
            _text(image, x, base + 6 + line * 12, part)
    _text(image, left, 8, title)
    for s, name in enumerate(series):
        y = 26 + 14 * s
        image[y:y + 8, left:left + 8] = _COLOURS[s % len(_COLOURS)]
        _text(image, left + 12, y - 1, name.replace("_", " "))
    return _png(image)


def plot(rows: list[dict], path: str) -> None:
    groups = sorted({(r["agents"], r["answer_rate"]) for r in rows})
    pacers = list(dict.fromkeys(r["pacer"] for r in rows))
    values = [[(_find(rows, p, rate, team) or {}).get("occupancy", 0.0) for p in pacers] for team, rate in groups]
    labels = [f"{team}a {int(rate * 100)}%" for team, rate in groups]
    with open(path, "wb") as out:
        out.write(bar_chart_png(values, labels, pacers, title="occupancy by team and answer rate"))


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = parse_args(argv)
    started = time.perf_counter()
    rows = run_grid(args)
    print_table(rows, args)
    print(f"\n{len(rows)} cells x {args.seeds} seeds, {args.hours} h shifts, "
          f"{time.perf_counter() - started:.0f} s wall on {args.processes} processes")
    if args.json_out:
        with open(args.json_out, "w") as out:
            json.dump(rows, out, indent=1)
    if args.plot_out:
        plot(rows, args.plot_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
