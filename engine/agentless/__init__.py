"""Agentless campaigns: broadcast, notification, press-1, survey, number validity,
broadcast-then-IVR and timeout-to-agent, on the campaign package's claim/compliance/attempt
path, with answered calls driven by the IVR interpreter over their outbound socket.

Entry points: :class:`engine.agentless.service.AgentlessService` (start/stop/add/remove),
:class:`engine.agentless.handoff.EngineQueueHandoff`, :class:`engine.agentless.pacing.LinePacer`,
:func:`engine.agentless.modes.plan_for`.
"""
