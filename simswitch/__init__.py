"""simswitch: a FreeSWITCH stand-in that speaks real ESL over TCP (tests, bench, demo).

Imports nothing from the engine or control plane. Public API:
`SimSwitch(host, port, password, scenario).start()/.stop()` and `main(argv)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simswitch.switch import SimSwitch

__all__ = ["SimSwitch", "main"]


def __getattr__(name: str) -> Any:
    # Lazy so `python -m simswitch` can monkey-patch before gevent-using modules load.
    if name == "SimSwitch":
        from simswitch.switch import SimSwitch
        return SimSwitch
    if name == "main":
        from simswitch.cli import main
        return main
    raise AttributeError(name)
