"""Q.850 / FreeSWITCH hangup causes (ESL_PROTOCOL.md §13)."""

from __future__ import annotations

CAUSES: dict[str, int] = {
    "NONE": 0, "UNALLOCATED_NUMBER": 1, "NO_ROUTE_TRANSIT_NET": 2, "NO_ROUTE_DESTINATION": 3,
    "CHANNEL_UNACCEPTABLE": 6, "CALL_AWARDED_DELIVERED": 7, "NORMAL_CLEARING": 16,
    "USER_BUSY": 17, "NO_USER_RESPONSE": 18, "NO_ANSWER": 19, "SUBSCRIBER_ABSENT": 20,
    "CALL_REJECTED": 21, "NUMBER_CHANGED": 22, "REDIRECTION_TO_NEW_DESTINATION": 23,
    "EXCHANGE_ROUTING_ERROR": 25, "DESTINATION_OUT_OF_ORDER": 27, "INVALID_NUMBER_FORMAT": 28,
    "FACILITY_REJECTED": 29, "RESPONSE_TO_STATUS_ENQUIRY": 30, "NORMAL_UNSPECIFIED": 31,
    "NORMAL_CIRCUIT_CONGESTION": 34, "NETWORK_OUT_OF_ORDER": 38, "NORMAL_TEMPORARY_FAILURE": 41,
    "SWITCH_CONGESTION": 42, "ACCESS_INFO_DISCARDED": 43, "REQUESTED_CHAN_UNAVAIL": 44,
    "PRE_EMPTED": 45, "FACILITY_NOT_SUBSCRIBED": 50, "OUTGOING_CALL_BARRED": 52,
    "INCOMING_CALL_BARRED": 54, "BEARERCAPABILITY_NOTAUTH": 57, "BEARERCAPABILITY_NOTAVAIL": 58,
    "SERVICE_UNAVAILABLE": 63, "BEARERCAPABILITY_NOTIMPL": 65, "CHAN_NOT_IMPLEMENTED": 66,
    "FACILITY_NOT_IMPLEMENTED": 69, "SERVICE_NOT_IMPLEMENTED": 79, "INVALID_CALL_REFERENCE": 81,
    "INCOMPATIBLE_DESTINATION": 88, "INVALID_MSG_UNSPECIFIED": 95, "MANDATORY_IE_MISSING": 96,
    "MESSAGE_TYPE_NONEXIST": 97, "WRONG_MESSAGE": 98, "IE_NONEXIST": 99,
    "INVALID_IE_CONTENTS": 100, "WRONG_CALL_STATE": 101, "RECOVERY_ON_TIMER_EXPIRE": 102,
    "MANDATORY_IE_LENGTH_ERROR": 103, "PROTOCOL_ERROR": 111, "INTERWORKING": 127,
    "SUCCESS": 142, "ORIGINATOR_CANCEL": 487, "CRASH": 700, "SYSTEM_SHUTDOWN": 701,
    "LOSE_RACE": 702, "MANAGER_REQUEST": 703, "BLIND_TRANSFER": 800, "ATTENDED_TRANSFER": 801,
    "ALLOTTED_TIMEOUT": 802, "USER_CHALLENGE": 803, "MEDIA_TIMEOUT": 804, "PICKED_OFF": 805,
    "USER_NOT_REGISTERED": 806, "PROGRESS_TIMEOUT": 807, "INVALID_GATEWAY": 808,
    "GATEWAY_DOWN": 809, "INVALID_URL": 810, "INVALID_PROFILE": 811, "NO_PICKUP": 812,
    "SRTP_READ_ERROR": 813, "BOWOUT": 814, "BUSY_EVERYWHERE": 815, "DECLINE": 816,
    "DOES_NOT_EXIST_ANYWHERE": 817, "NOT_ACCEPTABLE": 818, "UNWANTED": 819,
}
_BY_CODE = {code: name for name, code in CAUSES.items()}


def q850(cause: str) -> int:
    """hangup_cause_q850 value: the code, but causes above 127 report 16."""
    code = CAUSES.get(cause, 16)
    return 16 if code > 127 else code


def parse_cause(text: str | None) -> str:
    """Cause name from a name or number; unknown names → NORMAL_CLEARING (as FreeSWITCH)."""
    if not text:
        return "NORMAL_CLEARING"
    text = text.strip()
    if text[:1].isdigit():
        return _BY_CODE.get(int("".join(c for c in text if c.isdigit()) or 0), "UNKNOWN")
    upper = text.upper()
    return upper if upper in CAUSES else "NORMAL_CLEARING"


# SIP final responses behind the causes a refused INVITE ends with (mod_sofia's
# sofia_glue_sip_cause_to_freeswitch, read backwards), as the real switch reports them in
# sip_invite_failure_status/phrase and sip_term_status.
SIP_REFUSALS: dict[str, tuple[int, str]] = {
    "UNALLOCATED_NUMBER": (404, "Not Found"), "USER_BUSY": (486, "Busy Here"),
    "NO_USER_RESPONSE": (480, "Temporarily Unavailable"), "CALL_REJECTED": (603, "Decline"),
    "NORMAL_TEMPORARY_FAILURE": (503, "Service Unavailable"),
}


def sip_refusal_variables(cause: str, reason: bool = True) -> dict[str, str]:
    """Variables of a sofia leg whose INVITE got a final error response, in the real
    switch's order (measured: 486/480 from a FreeSWITCH peer, 503 for a closed port).
    `reason`: the peer sent `Reason: Q.850;cause=...` (a locally made 503 has none)."""
    status, phrase = SIP_REFUSALS.get(cause, (500, "Server Internal Error"))
    out = {"sip_hangup_disposition": "recv_refuse", "sip_invite_failure_status": str(status),
           "sip_invite_failure_phrase": phrase}
    if reason:
        out["sip_reason"] = f'Q.850;cause={q850(cause)};text="{cause}"'
    out.update({"sip_term_status": str(status), "proto_specific_hangup_cause": f"sip:{status}",
                "sip_term_cause": str(q850(cause))})
    return out


# A leg we cancelled (originate timeout, lost race): known only once the 487 came back,
# so on CHANNEL_HANGUP_COMPLETE, not on CHANNEL_HANGUP.
SIP_CANCELLED = {"sip_hangup_disposition": "send_cancel", "sip_invite_failure_status": "487",
                 "sip_invite_failure_phrase": "CANCEL"}
