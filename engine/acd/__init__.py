"""Inbound ACD: strategies, queues of waiting callers, and the dispatcher that offers them."""
from engine.acd.dispatcher import AcdDispatcher, OfferPort
from engine.acd.hours import HoursError, OpeningHours
from engine.acd.queue import AcdQueue, Member, QueueConfig
from engine.acd.strategies import STRATEGY_CLASSES, Candidate, Strategy, WaitingCall, make_strategy

__all__ = [
    "STRATEGY_CLASSES", "AcdDispatcher", "AcdQueue", "Candidate", "HoursError", "Member", "OfferPort",
    "OpeningHours", "QueueConfig", "Strategy", "WaitingCall", "make_strategy",
]
