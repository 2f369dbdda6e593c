"""Regenerate the shipped prompts (8 kHz mono 16-bit WAV) from text with espeak-ng.

Usage, from the repository root:

    .venv/bin/python sounds/make_prompts.py            # write every prompt into sounds/
    .venv/bin/python sounds/make_prompts.py --check    # fail if a prompt is missing

A prompt may join several parts in different languages (the language menu does). Leading
and trailing silence is trimmed to keep the files small (all prompts together < 1 MB).
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
import wave
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run as a script from a checkout

from engine.ivr.tts import SAMPLE_RATE, synthesize  # noqa: E402

log = logging.getLogger("make_prompts")

# file name -> [(language, text), ...]; the texts are the documentation of each prompt.
PROMPTS: dict[str, list[tuple[str, str]]] = {
    "fallback.wav": [("en", "Sorry, we cannot take your call now. Goodbye.")],
    "welcome.wav": [("en", "Thank you for calling Acme.")],
    "language_menu.wav": [("en", "For English, press 1."), ("fr", "Pour le français, tapez 2.")],
    "main_menu_en.wav": [("en", "Sales, press 1. Support, 2. Billing, 3. "
                                "Operator, 0. To leave a message, press 9.")],
    "main_menu_fr.wav": [("fr", "Ventes, tapez 1. Support, tapez 2. Opérateur, tapez 0.")],
    "invalid.wav": [("en", "Sorry, that is not a valid choice.")],
    "invalid_fr.wav": [("fr", "Choix invalide.")],
    "account_number.wav": [("en", "Please enter your account number, then press hash.")],
    "after_hours.wav": [("en", "We are closed. Our hours are nine to six, on weekdays.")],
    "holiday.wav": [("en", "Our offices are closed today for the holiday.")],
    "leave_message.wav": [("en", "Please leave a message after the tone.")],
    "please_hold.wav": [("en", "Please hold while we connect you.")],
    "all_busy.wav": [("en", "All our agents are busy.")],
    "goodbye.wav": [("en", "Thank you for calling. Goodbye.")],
    "survey_q1.wav": [("en", "How satisfied are you? From 1, very satisfied, "
                             "to 5, very dissatisfied.")],
    "survey_q2.wav": [("en", "Would you recommend us to a friend? Press 1 for yes, 2 for no.")],
    "survey_comment.wav": [("en", "To leave a comment, press 1. Otherwise, 2.")],
    "survey_thanks.wav": [("en", "Thank you for your answers. Goodbye.")],
    "press1_options.wav": [("en", "Press 1 for an agent, 2 to hear this again, "
                                  "or 9 to stop these calls.")],
    "removed.wav": [("en", "You will not be called again. Goodbye.")],
    "rating.wav": [("en", "Please rate our service from 1, poor, to 5, excellent.")],
    "thanks.wav": [("en", "Thank you for your feedback.")],
}

SILENCE_THRESHOLD = 300  # 16-bit amplitude below which audio counts as silence
KEEP_SILENCE_S = 0.1
MAX_PAUSE_S = 0.25
GAP_BETWEEN_PARTS_S = 0.3


def _samples(wav_bytes: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(wav_bytes)) as source:
        return np.frombuffer(source.readframes(source.getnframes()), dtype="<i2")


def _trim(samples: np.ndarray) -> np.ndarray:
    """Drop leading/trailing silence and shorten pauses longer than MAX_PAUSE_S."""
    window = int(0.01 * SAMPLE_RATE)
    usable = samples[: samples.size - samples.size % window].reshape(-1, window)
    loud = np.abs(usable.astype(np.int32)).max(axis=1) > SILENCE_THRESHOLD
    if not loud.any():
        return samples
    keep_windows = int(KEEP_SILENCE_S / 0.01)
    max_pause = int(MAX_PAUSE_S / 0.01)
    first, last = np.flatnonzero(loud)[[0, -1]]
    kept: list[np.ndarray] = []
    quiet_run = 0
    for index in range(max(0, first - keep_windows), min(len(loud), last + keep_windows + 1)):
        quiet_run = 0 if loud[index] else quiet_run + 1
        if quiet_run <= max_pause:
            kept.append(usable[index])
    return np.concatenate(kept)


def render_prompt(parts: list[tuple[str, str]], voice: str = "female") -> bytes:
    """One WAV from parts spoken in their languages, trimmed, with short gaps between."""
    gap = np.zeros(int(GAP_BETWEEN_PARTS_S * SAMPLE_RATE), dtype="<i2")
    pieces: list[np.ndarray] = []
    for language, text in parts:
        if pieces:
            pieces.append(gap)
        pieces.append(_trim(_samples(synthesize(text, voice, language, speed=185))))
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(SAMPLE_RATE)
        target.writeframes(np.concatenate(pieces).astype("<i2").tobytes())
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, verify) every prompt in PROMPTS."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify the files exist")
    parser.add_argument("--out", type=Path, default=HERE, help="output directory")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    missing = [name for name in PROMPTS if not (args.out / name).is_file()]
    if args.check:
        for name in missing:
            log.error("missing prompt %s", name)
        return 1 if missing else 0
    total = 0
    for name, parts in PROMPTS.items():
        audio = render_prompt(parts)
        (args.out / name).write_bytes(audio)
        total += len(audio)
        log.info("%-22s %6d bytes", name, len(audio))
    log.info("%d prompts, %d bytes in total", len(PROMPTS), total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
