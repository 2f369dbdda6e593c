"""fscc control plane: the Flask app (pages + REST API) and the ``fscc`` CLI.

Kept import-free so the CLI entry point can monkey-patch gevent before anything
imports socket or threading; use ``from control.app import create_app``.
"""
