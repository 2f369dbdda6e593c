"""engine/ivr."""
