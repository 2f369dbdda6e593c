"""Survey and number-validity campaigns against simswitch over TCP."""
from __future__ import annotations

import pathlib

import pytest

from engine.store import Attempt, Contact, SurveyAnswer
from tests.agentless.harness import agentless_world, fk, make_campaign


@pytest.mark.timeout(60)
def test_survey_answers_land_per_contact_and_attempt(sqlite_store, tmp_path: pathlib.Path):
    campaign = make_campaign("survey")
    ann = Contact.create(campaign=campaign, phone="+12125550101", first_name="Ann")
    ben = Contact.create(campaign=campaign, phone="+13125550102", first_name="Ben")
    customers = [{"prefix": "+1212555", "answer": 1.0, "ring_time": 0.5, "talk_time": 600, "dtmf": ["2", "1", "2"]},
                 {"prefix": "+1312555", "answer": 1.0, "ring_time": 0.5, "talk_time": 600, "dtmf": ["5", "2", "2"]}]
    with agentless_world(tmp_path, customers) as world:
        world.service.add(campaign)
        world.pump(lambda: Attempt.select().where(Attempt.outcome != "").count() == 2)
        for contact, expected in ((ann, [("satisfaction", "2", "Satisfied"), ("recommend", "1", "Yes")]),
                                  (ben, [("satisfaction", "5", "Very dissatisfied"), ("recommend", "2", "No")])):
            attempt = Attempt.get(Attempt.contact == contact.id)
            rows = list(SurveyAnswer.select().where(SurveyAnswer.contact == contact.id).order_by(SurveyAnswer.id))
            assert [(r.question, r.key, r.label) for r in rows] == expected
            assert {(fk(r, "attempt"), fk(r, "campaign"), r.call_uuid, r.flow) for r in rows} == {
                (attempt.id, campaign.id, attempt.origination_uuid, "survey")}
            assert attempt.outcome == "answered"
            assert world.results[attempt.origination_uuid].steps[-1].node == "thanks"


@pytest.mark.timeout(60)
def test_validity_check_classifies_numbers_with_nobody_on_the_line(sqlite_store, tmp_path: pathlib.Path):
    campaign = make_campaign("validity", ring_timeout_seconds=10)
    numbers = {"answered": "+12125550101", "busy": "+13125550102", "no_answer": "+14155550103",
               "invalid": "+16175550104"}
    contacts = {outcome: Contact.create(campaign=campaign, phone=phone) for outcome, phone in numbers.items()}
    customers = [{"prefix": "+1212555", "answer": 1.0, "ring_time": 0.5, "talk_time": 600},
                 {"prefix": "+1312555", "answer": 0.0, "busy": 1.0},
                 {"prefix": "+1415555", "answer": 0.0, "no_answer": 1.0, "early_media": True},
                 {"prefix": "+1617555", "answer": 0.0, "invalid": 1.0}]
    with agentless_world(tmp_path, customers) as world:
        world.service.add(campaign)
        world.pump(lambda: Attempt.select().where(Attempt.outcome != "").count() == 4)
        for outcome, contact in contacts.items():
            attempt = Attempt.get(Attempt.contact == contact.id)
            assert attempt.outcome == outcome, (outcome, attempt.hangup_cause)
        answered = Attempt.get(Attempt.contact == contacts["answered"].id)
        # hung up right at answer: nobody ever spoke or listened on our side
        assert answered.ended_at and answered.answered_at
        assert (answered.ended_at - answered.answered_at).total_seconds() < 2.0  # simulated seconds
        assert world.results == {}  # no flow ran
        assert Contact.get_by_id(contacts["invalid"].id).status == "failed"
        assert Contact.get_by_id(contacts["answered"].id).status == "done"
        assert Attempt.get(Attempt.contact == contacts["invalid"].id).hangup_cause == "UNALLOCATED_NUMBER"
