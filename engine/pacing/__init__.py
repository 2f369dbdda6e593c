"""engine/pacing."""
