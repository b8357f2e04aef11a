"""Every ``/manage`` route, for every role: generated from the URL map so no route slips past."""

import pytest

from donate import clock
from donate.extensions import db, login_manager
from donate.models import Designation, FlaggedEvent, Role
from donate.months import current_month
from donate.services.coverage.allocation import allocate_pool
from donate.services.remittance.batches import create_batch
from donate.services.workers.imports import start_upload, upload_workers
from tests.manage_helpers import login, staff_user, user

#: What each endpoint needs. A new route must be added here, or the test below fails.
NEEDS = {
    "manage.index": "staff",
    "manage.audit_log": "staff",
    "manage.new_campaign": "create",
    "manage.users": "admin",
    "manage.user": "admin",
    "manage.workers": "register",
    "manage.new_worker": "register",
    "manage.upload_workers": "register",
    "manage.job": "register",
    "manage.rejected_rows": "register",
    "manage.worker": "register",
    "manage.verify_workers": "register",
    "manage.find_worker": "register",
    "manage.dashboard": "manage",
    "manage.chart": "manage",
    "manage.edit_campaign": "manage",
    "manage.campaign_status": "manage",
    "manage.export": "manage",
    "manage.funding": "manage",
    "manage.allocation": "manage",
    "manage.allocate": "manage",
    "manage.gifts": "manage",
    "manage.refund": "manage",
    "manage.flagged": "manage",
    "manage.resolve_flagged": "manage",
    "manage.remittance": "manage",
    "manage.batch": "manage",
    "manage.batch_file": "manage",
    "manage.batch_transfer": "manage",
    "manage.batch_acknowledgement": "manage",
    "manage.batch_cancel": "manage",
    "manage.news": "manage",
    "manage.cover": "manage",
    "manage.doa": "manage",
    "manage.hide_doa": "manage",
    "manage.card": "manage",
    "manage.issue_card": "manage",
    "manage.revoke_card": "manage",
    "manage.cards": "manage",
    "manage.issue_cards": "manage",
    "manage.record_worker_claim": "manage",
    "manage.funder_reports": "manage",
    "manage.funder_report_download": "manage",
    "manage.mandiri": "manage",
    "manage.mandiri_status": "manage",
    # The foundation's bank account serves every campaign: any manager, and admins.
    "manage.bank_transfers": "create",
    "manage.upload_bank_statement": "create",
    "manage.assign_statement_line": "create",
}
ROLES = ("anonymous", "donor", "verifier", "other_manager", "manager", "admin")
ALLOWED = {
    "staff": {"verifier", "other_manager", "manager", "admin"},
    "create": {"other_manager", "manager", "admin"},
    "admin": {"admin"},
    "register": {"verifier", "manager", "admin"},
    "manage": {"manager", "admin"},
}


@pytest.fixture
def world(app, make):
    """A campaign with staff, workers, a funded pool, a batch, a payment and a rejected-rows file."""
    campaign = make.campaign("riau", regions=(("1402", 100),))
    other = make.campaign("kalbar")
    workers = make.workers(campaign, 3, regency_code="1402")
    gift = make.paid_gift(campaign, 2 * 6 * 16_800, designation=Designation.csr)
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    batch = create_batch(campaign, current_month(clock.today()) - 3, current_month(clock.today()) + 11, user=None)
    people = {
        "anonymous": None,
        "donor": user("donor@example.org", Role.donor),
        "verifier": staff_user("verifier@example.org", Role.verifier, campaign),
        "other_manager": staff_user("other@example.org", Role.manager, other),
        "manager": staff_user("manager@example.org", Role.manager, campaign),
        "admin": user("admin@example.org", Role.admin),
    }
    upload = upload_workers(campaign, make.worker_csv([make.csv_row(nik="123")]),
                                  user=people["manager"], verified=True, skip_invalid=False,
                                  today=clock.today(), now=clock.now())
    flag = FlaggedEvent(provider="sandbox", problem="amount", provider_ref="sbx_x", campaign_id=campaign.id,
                        payment_id=gift.payments[0].id, provider_amount="1 idr", held_idr=0)
    db.session.add(flag)
    job = start_upload(campaign, make.worker_csv([make.csv_row()]), user=people["verifier"], verified=False,
                       skip_invalid=False, today=clock.today())
    db.session.commit()
    values = {"job_token": job.token, "slug": campaign.slug, "public_id": workers[0].public_id, "batch_id": batch.id,
              "payment_id": gift.payments[0].id, "token": upload.rejected_token, "name": "regions",
              "user_id": people["donor"].id, "donation_id": gift.id, "flag_id": flag.id, "line_id": 1}
    return people, values


def manage_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint.startswith("manage.")),
                  key=lambda r: r.endpoint)


def test_every_manage_route_is_classified(app):
    endpoints = {rule.endpoint for rule in manage_rules(app)}
    assert endpoints == set(NEEDS), "classify new /manage routes in NEEDS"
    assert all(rule.rule.startswith("/manage") for rule in manage_rules(app))


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_it_may(app, client, world, role):
    people, values = world
    login(client, people[role])
    checked = 0
    for rule in manage_rules(app):
        url = rule.build({k: v for k, v in values.items() if k in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            where = f"{method} {url} as {role}"
            if role == "anonymous":
                assert response.status_code == 302, where
                if login_manager.login_view:
                    assert "login" in response.location, where
            elif role in ALLOWED[NEEDS[rule.endpoint]]:
                assert response.status_code < 400, f"{where}: {response.status_code}"
            else:
                assert response.status_code == 403, f"{where}: {response.status_code}"
            checked += 1
    assert checked >= len(NEEDS)
