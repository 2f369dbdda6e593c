"""simswitch."""
