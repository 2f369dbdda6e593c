"""fscc engine: the gevent controller that owns calls, agents, queues and campaigns."""

__version__ = "0.1.0"
