"""Write the shipped music on hold (sounds/moh/fscc_moh.wav): a soft synthesized loop.

FreeSWITCH packages ship music on hold as a separate package that many servers lack, so
fscc brings its own: `fscc fs-config render` points mod_local_stream's `moh` stream at
sounds/moh/, and queues' default `local_stream://moh` then plays this file. It is made
with numpy alone (8 kHz, mono, 16-bit, 8 s), so it can be regenerated anywhere:

    .venv/bin/python sounds/make_moh.py
"""
from __future__ import annotations

import io
import sys
import wave
from pathlib import Path

import numpy as np

RATE = 8000
# Four chords (Hz), two seconds each: C major, A minor, F major, G major.
CHORDS = ((261.63, 329.63, 392.00), (220.00, 261.63, 329.63),
          (174.61, 220.00, 261.63), (196.00, 246.94, 293.66))
CHORD_SECONDS = 2.0
PEAK = 6000  # well below full scale: hold music should not be loud


def render_moh() -> bytes:
    """The loop as WAV bytes; each chord fades in and out so the loop has no clicks."""
    n = int(RATE * CHORD_SECONDS)
    t = np.arange(n) / RATE
    envelope = np.minimum(1.0, np.minimum(t, CHORD_SECONDS - t) / 0.25)
    pieces = []
    for chord in CHORDS:
        wave_sum = sum(np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t) for f in chord)
        pieces.append(wave_sum / (1.3 * len(chord)) * envelope)
    samples = (np.concatenate(pieces) * PEAK).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(RATE)
        target.writeframes(samples.tobytes())
    return out.getvalue()


def main() -> int:
    path = Path(__file__).resolve().parent / "moh" / "fscc_moh.wav"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(render_moh())
    print(f"{path}: {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
