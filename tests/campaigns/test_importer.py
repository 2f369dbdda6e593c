"""Contact import (CSV/TXT), export, add and remove, on SQLite and PostgreSQL."""
import csv
import io

import pytest

from engine.campaigns.contacts import add_contact, export_contacts, remove_contacts
from engine.campaigns.dnc import add_dnc, import_dnc
from engine.campaigns.errors import CampaignError, CampaignValidationError
from engine.campaigns.importer import import_contacts
from engine.store import Attempt, Campaign, Contact

CSV_TEXT = """Mobile,Work,First,Last,Company,Plan,Priority
(415) 555-2671,+1 212 555 0143,Ann,Lee,Acme,gold,2
415-555-2672,,Bob,Ray,,silver,
not a number,,Cid,Moe,,,
,,Dee,Nil,,,
415.555.2671,,Ann,Again,,,
"(415) 555-2673;415 555 2674;415 555 2675;415 555 2676;415 555 2677;415 555 2678",,Six,Numbers,,,
415 555 2679,,Eve,Long,,,abc
"""
MAPPING = {"Mobile": "phone", "Work": "phone2", "First": "first_name", "Last": "last_name",
           "Company": "organisation", "Priority": "priority"}


@pytest.fixture
def campaign(store):
    return Campaign.create(name="renewals", caller_id_number="+14155550000", default_region="US")


def test_csv_import_stores_good_rows_and_reports_each_bad_one(campaign):
    seen = []
    report = io.StringIO()
    result = import_contacts(campaign, io.StringIO(CSV_TEXT), mapping=MAPPING, progress=seen.append,
                             error_report=report, batch_size=2)
    assert (result.rows_read, result.stored, result.rejected) == (7, 2, 5)
    rows = list(csv.reader(io.StringIO(report.getvalue())))
    assert rows[0] == ["row", "reason", "detail", "raw"]
    by_row = {int(r[0]): r[1] for r in rows[1:]}
    assert by_row == {4: "invalid_number", 5: "missing_phone", 6: "duplicate_in_file",
                      7: "too_many_numbers", 8: "bad_priority"}
    assert rows[1][3].startswith("not a number")
    ann = Contact.get(Contact.phone == "+14155552671")
    assert ann.alt_phones == ["+12125550143"]
    assert (ann.first_name, ann.organisation, ann.priority, ann.import_row) == ("Ann", "Acme", 2, 2)
    assert ann.custom == {"Plan": "gold"}
    assert seen[-1].rows_read == 7 and seen[-1].stored == 2 and seen[-1].rejected == 5
    assert all(a.rows_read <= b.rows_read for a, b in zip(seen, seen[1:], strict=False))


def test_txt_import_one_number_per_line_and_reimport_is_deduped(campaign):
    text = "+14155550101\n\n415 555 0102\n12\n"
    result = import_contacts(campaign, io.StringIO(text), fmt="txt")
    assert (result.stored, result.rejected) == (2, 1)
    assert result.samples[0].row == 4 and result.samples[0].reason == "invalid_number"
    again = import_contacts(campaign, io.StringIO(text), fmt="txt")
    assert again.stored == 0 and again.reasons["already_in_campaign"] == 2


def test_dedupe_across_campaigns_and_dnc_when_asked(campaign):
    other = Campaign.create(name="other", caller_id_number="+14155550000")
    import_contacts(other, io.StringIO("+14155550101\n"), fmt="txt")
    add_dnc("+14155550102", scope="campaign", campaign=campaign, list_color="red", reason="asked")
    add_dnc("+14155550103", scope="global", list_color="grey")  # grey is a watch list only
    text = "+14155550101\n+14155550102\n+14155550103\n"
    result = import_contacts(campaign, io.StringIO(text), fmt="txt", check_dnc=True)
    assert result.stored == 3 - result.rejected and result.reasons["dnc"] == 1
    assert result.reasons["duplicate_across_campaigns"] == 0  # off by default
    Contact.delete().where(Contact.campaign == campaign).execute()
    campaign.dedupe_across_campaigns = True
    campaign.save()
    result = import_contacts(campaign, io.StringIO(text), fmt="txt", check_dnc=True)
    assert dict(result.reasons) == {"duplicate_across_campaigns": 1, "dnc": 1}
    assert [c.phone for c in Contact.select().where(Contact.campaign == campaign)] == ["+14155550103"]


def test_mapping_and_file_errors_name_the_problem(campaign):
    with pytest.raises(CampaignError, match="phone"):
        import_contacts(campaign, io.StringIO("name,plan\nA,b\n"))
    with pytest.raises(CampaignError, match="Nope"):
        import_contacts(campaign, io.StringIO("phone\n1\n"), mapping={"Nope": "phone"})
    with pytest.raises(CampaignError, match="empty"):
        import_contacts(campaign, io.StringIO(""))
    with pytest.raises(CampaignError, match="several columns"):
        import_contacts(campaign, io.StringIO("a,b\n1,2\n"), mapping={"a": "phone", "b": "phone"})
    assert Contact.select().count() == 0


def test_headerless_csv_and_default_mapping_by_header_names(campaign):
    result = import_contacts(campaign, io.StringIO("4155550101,Ann\n"), has_header=False,
                             mapping={"column1": "phone", "column2": "first_name"})
    assert result.stored == 1
    result = import_contacts(campaign, io.StringIO("Telephone,First Name,Tier\n4155550102,Bo,1\n"))
    assert result.stored == 1
    bo = Contact.get(Contact.phone == "+14155550102")
    assert (bo.first_name, bo.custom) == ("Bo", {"Tier": "1"})


def test_all_or_nothing_rolls_back_every_batch_on_failure(campaign):
    def explode(progress):
        if progress.stored >= 2:
            raise RuntimeError("disk full")
    text = "".join(f"+1415555{i:04d}\n" for i in range(100, 106))
    with pytest.raises(RuntimeError):
        import_contacts(campaign, io.StringIO(text), fmt="txt", batch_size=2, progress=explode, all_or_nothing=True)
    assert Contact.select().count() == 0


def test_add_remove_and_export(campaign):
    ann = add_contact(campaign, {"phone": "(415) 555-0101", "phone2": "+12125550143", "first_name": "Ann",
                                 "custom": {"plan": "gold"}})
    bob = add_contact(campaign, {"phone": "+14155550102", "last_name": "Ray", "custom": {"tier": "2"}})
    with pytest.raises(CampaignValidationError) as info:
        add_contact(campaign, {"phone": "415 555 0101"})
    assert "already" in info.value.as_dict()["phone"]
    with pytest.raises(CampaignValidationError) as info:
        add_contact(campaign, {"phone": "nope"})
    assert "phone" in info.value.as_dict()
    add_dnc("+14155550109", scope="global", list_color="black")
    with pytest.raises(CampaignValidationError, match="global black list"):
        add_contact(campaign, {"phone": "+14155550109"})

    Attempt.create(contact=bob, campaign=campaign, phone=bob.phone, origination_uuid="u1", outcome="busy")
    Contact.update(attempts=1, last_outcome="busy", status="retry").where(Contact.id == bob.id).execute()
    out = io.StringIO()
    assert export_contacts(campaign, out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["phone"] == "+14155550101" and rows[0]["phone2"] == "+12125550143"
    assert rows[0]["plan"] == "gold" and rows[1]["tier"] == "2" and rows[0]["tier"] == ""
    assert rows[1]["last_outcome"] == "busy" and rows[1]["attempts"] == "1" and rows[1]["last_attempt_at"]
    masked = io.StringIO()
    export_contacts(campaign, masked, mask_numbers=True)
    assert "+1415555****" in masked.getvalue() and "+14155550101" not in masked.getvalue()

    result = remove_contacts(campaign, [ann.id, bob.id, 999999])
    assert result.removed == [ann.id]
    assert result.refused == {bob.id: "already dialed", 999999: "not a contact of this campaign"}
    assert [c.id for c in Contact.select()] == [bob.id]


def test_dnc_bulk_import_reports_bad_lines(campaign):
    text = "phone\n+14155550101,red,legal,complaint\n415 555 0102\nbad\n+14155550103,purple\n"
    result = import_dnc(io.StringIO(text), scope="campaign", campaign=campaign.id)
    assert result.stored == 2
    assert [line for line, _ in result.rejected] == [4, 5]
    again = import_dnc(io.StringIO("+14155550101,grey\n"), scope="campaign", campaign=campaign.id)
    assert again.stored == 1
    from engine.store import DncEntry
    assert DncEntry.get(DncEntry.phone == "+14155550101").list_color == "grey"
    with pytest.raises(ValueError, match="team"):
        import_dnc(io.StringIO(""), scope="team")
