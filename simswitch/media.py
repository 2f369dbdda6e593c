"""Media facts the simulator needs: how long a prompt lasts, and writing a WAV file."""

from __future__ import annotations

import math
import os
import re
import struct
import wave

_TONE = re.compile(r"%\(([\d.]+),([\d.]+),[^)]*\)")


def play_length(path: str) -> tuple[float | None, str]:
    """(seconds, file type) for a playback target; seconds None = file not found.

    `tone_stream://%(on,off,freq);loops=N` and `silence_stream://ms` last their stated
    length; WAV files their real length (from the header); `local_stream://` forever (inf).
    """
    if path.startswith("tone_stream://"):
        spec = path[len("tone_stream://"):]
        loops = 1
        match = re.search(r"loops=(-?\d+)", spec)
        if match:
            loops = int(match.group(1))
        total = sum(float(on) + float(off) for on, off in _TONE.findall(spec)) / 1000.0
        if loops < 0:
            return math.inf, "tone_stream"
        return total * max(1, loops), "tone_stream"
    if path.startswith("silence_stream://"):
        millis = path[len("silence_stream://"):].split(",")[0]
        value = int(millis) if millis.lstrip("-").isdigit() else 0
        return (math.inf if value <= 0 else value / 1000.0), "silence_stream"
    if path.startswith("local_stream://"):
        # simswitch has the usual music-on-hold streams only
        known = path[len("local_stream://"):] in ("moh", "default", "moh/8000")
        return (math.inf, "local_stream") if known else (None, "")
    if path.startswith("file_string://"):
        parts = path[len("file_string://"):].split("!")
        total = 0.0
        for part in parts:
            seconds, _ = play_length(part)
            if seconds is None:
                return None, ""
            total += seconds
        return total, ""
    try:
        with wave.open(path, "rb") as wav:
            return wav.getnframes() / float(wav.getframerate() or 8000), ""
    except (OSError, wave.Error, EOFError):
        return None, ""


def write_wav(path: str, seconds: float, rate: int = 8000, tone_hz: float = 0.0) -> None:
    """Write a mono 16-bit WAV of `seconds` (silence, or a quiet sine at `tone_hz`)."""
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    frames = max(0, int(seconds * rate))
    with wave.open(path, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        if tone_hz <= 0:
            wav.writeframes(b"\x00\x00" * frames)
            return
        period = [int(3000 * math.sin(2 * math.pi * tone_hz * i / rate)) for i in range(rate)]
        chunk = struct.pack(f"<{rate}h", *period)
        whole, rest = divmod(frames, rate)
        wav.writeframes(chunk * whole + chunk[: rest * 2])
