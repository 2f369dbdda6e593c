"""espeak-ng rendering and the TTS cache."""

from __future__ import annotations

import io
import wave

import pytest

from engine.ivr import tts
from engine.ivr.tts import TtsCache, TtsError, synthesize

needs_espeak = pytest.mark.skipif(
    tts.espeak_path() is None,
    reason="espeak-ng is not installed (the Makefile's sysdeps-media target installs it)",
)


@needs_espeak
def test_synthesize_gives_8khz_mono_16bit_speech():
    audio = synthesize("Press one for sales.", "female", "en")
    with wave.open(io.BytesIO(audio)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        seconds = wav.getnframes() / wav.getframerate()
    assert 0.5 < seconds < 5


@needs_espeak
def test_voices_and_languages_differ():
    male = synthesize("Hello", "male", "en")
    female = synthesize("Hello", "female", "en")
    french = synthesize("Bonjour", "female", "fr")
    assert len({male, female, french}) == 3


@needs_espeak
def test_unknown_language_is_a_clear_error():
    with pytest.raises(TtsError, match="language 'xx-nope'"):
        synthesize("Hello", "female", "xx-nope")


def test_missing_espeak_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(tts, "espeak_path", lambda: None)
    with pytest.raises(TtsError, match="espeak-ng is not installed.*apt-get install espeak-ng"):
        synthesize("Hello")


def test_unknown_voice_is_refused():
    with pytest.raises(TtsError, match="unknown voice"):
        synthesize("Hello", "robot")


def test_cache_renders_each_text_once(tmp_path):
    calls: list[tuple[str, str, str]] = []

    def synth(text: str, voice: str, language: str) -> bytes:
        calls.append((text, voice, language))
        return b"RIFF" + text.encode()

    cache = TtsCache(tmp_path / "cache", synth=synth)
    first = cache.render_template("Hello {name}", {"name": "Ada"}.get)
    again = cache.render("Hello Ada")
    other = cache.render_template("Hello {name}", {"name": "Bob"}.get)
    male = cache.render("Hello Ada", voice="male")
    assert first == again and first != other and first != male
    assert calls == [("Hello Ada", "female", "en"), ("Hello Bob", "female", "en"),
                     ("Hello Ada", "male", "en")]
    assert first.read_bytes() == b"RIFFHello Ada"
    assert first.name == TtsCache.key("Hello Ada", "female", "en") + ".wav"
    assert not list((tmp_path / "cache").glob("*.part"))


def test_cache_defaults_to_sounds_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("FSCC_SOUNDS_DIR", str(tmp_path))
    assert TtsCache().cache_dir == tmp_path / "cache"


@needs_espeak
def test_real_render_is_cached_on_disk(tmp_path):
    cache = TtsCache(tmp_path)
    path = cache.render("Thank you for calling.", "male", "en")
    stamp = path.stat().st_mtime_ns
    assert cache.render("Thank you for calling.", "male", "en").stat().st_mtime_ns == stamp
    with wave.open(str(path)) as wav:
        assert wav.getframerate() == 8000
