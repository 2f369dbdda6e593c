"""Outbound campaigns: validation, lifecycle, contacts, compliance, claims, the dialer.

Map (each module's docstring says how the control plane or the engine calls it):

- ``validation``   validate_campaign(body, existing) / check_references(cleaned)
- ``lifecycle``    transition / restart / second_pass / auto_status / can_run
- ``importer``     import_contacts(campaign, source, fmt, mapping, progress, error_report)
- ``contacts``     add_contact / remove_contacts / export_contacts / mask_phone
- ``assignment``   fetch_for_agent / assign_manual / assign_by_percentage
- ``dnc``          add_dnc / import_dnc / blocked_numbers
- ``compliance``   check(contact, phone, campaign, now) -> Verdict; decide (pure rules)
- ``callerid``     CallerIdPicker(campaign).pick(callee, agent_number) / number_region
- ``claims``       claim_batch / claim_contact / start_attempt / finish_attempt / release / recycle
- ``callbacks``    parse_callback_time / schedule_callback / due_callbacks
- ``outcomes``     classify(hangup cause ...) / abandon_rates(campaign, now)
- ``dialer``       CampaignDialer (one campaign), ``preview`` PreviewDesk (preview/manual)
- ``group``        DialerGroup (all campaigns, agents shared by priority, the gevent loop);
                   pacing_status(campaign_id) -> last decision, pacer estimates, abandon rates
- ``pacing_feed``  PacingFeed: call outcomes to the pacer (ring/done reports), its last decision
- ``ports``        Originator / AgentPool protocols; ``engine_port`` EnginePort (the live Engine)
- (``engine.dialing`` runs all of it inside the Engine when ``settings.dialer_enabled``, agentless
  campaigns included through ``engine.agentless``)
- ``dispositions`` submit_disposition / disposition_types / add_custom_type; ``webhooks`` signing
"""
from engine.campaigns.errors import CampaignError, CampaignValidationError, LifecycleError

__all__ = ["CampaignError", "CampaignValidationError", "LifecycleError"]
