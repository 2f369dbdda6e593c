"""Call recordings: where they go on disk and the ``Recording`` row that describes them.

Path: ``<recordings_dir>/YYYY/MM/DD/<call uuid>.wav`` (UTC date of the call's start).
Duration and size are read from the finished WAV file itself, never estimated.
"""
from __future__ import annotations

import datetime as dt
import logging
import pathlib
import wave
from dataclasses import dataclass

from engine.clock import utc_datetime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WavInfo:
    duration_seconds: float
    size_bytes: int


def recording_path(root: str | pathlib.Path, call_uuid: str, started_at: float) -> pathlib.Path:
    """The dated path for a call's recording (directories are created by the caller)."""
    day = dt.datetime.fromtimestamp(started_at, dt.UTC)
    return pathlib.Path(root) / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}" / f"{call_uuid}.wav"


def wav_info(path: str | pathlib.Path) -> WavInfo:
    """Duration from the WAV header's frames and rate; size from the file system."""
    with wave.open(str(path), "rb") as handle:
        frames, rate = handle.getnframes(), handle.getframerate()
    return WavInfo(frames / rate if rate else 0.0, pathlib.Path(path).stat().st_size)


def should_record(queue_record: bool = False, campaign_record: bool = False, agent_record: bool = False) -> bool:
    """A call is recorded when its queue, its campaign or its agent says so."""
    return queue_record or campaign_record or agent_record


def save_recording(
    path: str | pathlib.Path, call_uuid: str, *, started_at: float, direction: str = "", agent_id: int | None = None,
    queue_id: int | None = None, campaign_id: int | None = None, phone: str = "",
) -> object | None:
    """Write the ``Recording`` row for a finished file; None (logged) if the file is missing or bad."""
    from engine.store import Recording

    try:
        info = wav_info(path)
    except (OSError, EOFError, wave.Error) as exc:
        log.error("recording unreadable call_uuid=%s path=%s: %s", call_uuid, path, exc)
        return None
    return Recording.create(
        call_uuid=call_uuid, path=str(path), started_at=utc_datetime(started_at),
        duration_seconds=round(info.duration_seconds, 3), size_bytes=info.size_bytes, direction=direction,
        agent=agent_id, queue=queue_id, campaign=campaign_id, phone=phone,
    )
