"""Text to speech with espeak-ng: render once, cache by hash of (text, voice, language).

Output is telephone audio: 8 kHz, mono, 16-bit PCM WAV. espeak-ng speaks at 22.05 kHz; we
low-pass and resample with numpy so no other tool is needed.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.ivr import template
from engine.ivr.flow import default_sounds_dir

log = logging.getLogger(__name__)

SAMPLE_RATE = 8000
VOICE_VARIANTS = {"male": "m3", "female": "f3"}
ESPEAK_TIMEOUT_S = 30


class TtsError(RuntimeError):
    """espeak-ng is missing or failed to render."""


def espeak_path() -> str | None:
    """Where espeak-ng is, or None when it is not installed."""
    return shutil.which("espeak-ng")


def _lowpass_resample(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Windowed-sinc low-pass at 0.45 * rate_out, then linear interpolation to rate_out."""
    if rate_in == rate_out or samples.size == 0:
        return samples.astype(np.float64)
    cutoff = 0.45 * rate_out / rate_in  # as a fraction of the input rate
    taps = np.arange(-64, 65)
    kernel = 2 * cutoff * np.sinc(2 * cutoff * taps) * np.hamming(taps.size)
    filtered = np.convolve(samples.astype(np.float64), kernel / kernel.sum(), mode="same")
    duration = samples.size / rate_in
    out_times = np.arange(int(duration * rate_out)) / rate_out
    return np.interp(out_times, np.arange(samples.size) / rate_in, filtered)


def to_telephone_wav(wav_bytes: bytes, rate_out: int = SAMPLE_RATE) -> bytes:
    """Convert a mono 16-bit WAV to `rate_out` Hz mono 16-bit WAV bytes."""
    with wave.open(io.BytesIO(wav_bytes)) as source:
        if source.getsampwidth() != 2:
            raise TtsError(f"expected 16-bit audio, got {8 * source.getsampwidth()}-bit")
        rate_in, channels = source.getframerate(), source.getnchannels()
        samples = np.frombuffer(source.readframes(source.getnframes()), dtype="<i2")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    resampled = _lowpass_resample(samples, rate_in, rate_out)
    pcm = np.clip(np.round(resampled), -32768, 32767).astype("<i2").tobytes()
    out = io.BytesIO()
    with wave.open(out, "wb") as target:
        target.setnchannels(1)
        target.setsampwidth(2)
        target.setframerate(rate_out)
        target.writeframes(pcm)
    return out.getvalue()


def synthesize(text: str, voice: str = "female", language: str = "en", speed: int = 165) -> bytes:
    """Speak `text` with espeak-ng and return 8 kHz mono WAV bytes."""
    binary = espeak_path()
    if binary is None:
        raise TtsError("espeak-ng is not installed (apt-get install espeak-ng; `make demo` "
                       "and `make test` install it)")
    if voice not in VOICE_VARIANTS:
        raise TtsError(f"unknown voice {voice!r} (use male or female)")
    command = [binary, "--stdin", "--stdout", "-s", str(speed),
               "-v", f"{language}+{VOICE_VARIANTS[voice]}"]
    try:
        done = subprocess.run(command, input=text.encode("utf-8"), capture_output=True,
                              timeout=ESPEAK_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise TtsError(f"espeak-ng took more than {ESPEAK_TIMEOUT_S}s") from exc
    if done.returncode != 0 or not done.stdout.startswith(b"RIFF"):
        detail = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        raise TtsError(f"espeak-ng failed for language {language!r}: {detail}")
    return to_telephone_wav(done.stdout)


class TtsCache:
    """Renders text once per (text, voice, language) into `cache_dir/<sha256>.wav`.

    `cache_dir` defaults to `sounds/cache/` (see `default_sounds_dir`).
    """

    def __init__(
        self,
        cache_dir: str | os.PathLike[str] | None = None,
        synth: Callable[[str, str, str], bytes] = synthesize,
    ) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_sounds_dir() / "cache"
        self._synth = synth

    @staticmethod
    def key(text: str, voice: str, language: str) -> str:
        """Cache key: sha256 of voice, language and the final text."""
        return hashlib.sha256(f"{voice}\0{language}\0{text}".encode()).hexdigest()

    def path_for(self, text: str, voice: str, language: str) -> Path:
        """Where the rendering of this text lives (whether or not it exists yet)."""
        return self.cache_dir / f"{self.key(text, voice, language)}.wav"

    def render(self, text: str, voice: str = "female", language: str = "en") -> Path:
        """Path to the WAV of `text`, rendering it on first use."""
        target = self.path_for(text, voice, language)
        if target.is_file():
            return target
        audio = self._synth(text, voice, language)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        # Write then rename so a concurrent call never plays a half-written file.
        handle, temp_name = tempfile.mkstemp(dir=self.cache_dir, suffix=".part")
        with os.fdopen(handle, "wb") as temp:
            temp.write(audio)
        os.replace(temp_name, target)
        log.info("tts rendered %s (%s/%s, %d chars)", target.name, voice, language, len(text))
        return target

    def render_template(
        self, text: str, variables: template.Lookup, voice: str = "female", language: str = "en"
    ) -> Path:
        """Substitute `{variables}` first, then render (each distinct text is cached once)."""
        return self.render(template.render(text, variables), voice, language)
