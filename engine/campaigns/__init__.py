"""Outbound campaigns: validation, lifecycle, contact import/export, compliance, claims,
the dialer loop and dispositions.

The control plane calls into these modules (see each module's docstring); the engine runs
:class:`engine.campaigns.dialer.CampaignDialer` per running campaign.
"""
from engine.campaigns.errors import CampaignError, CampaignValidationError, LifecycleError

__all__ = ["CampaignError", "CampaignValidationError", "LifecycleError"]
