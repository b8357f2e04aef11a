"""The donor's page reads the workers they helped in a fixed number of queries."""

import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import Designation, DonationKind, Role
from donate.services.access.accounts import create_user
from donate.services.donors.gifts import workers_helped


def statements_during(fn) -> int:
    count = 0

    def counter(*args):
        nonlocal count
        count += 1

    sa.event.listen(db.engine, "before_cursor_execute", counter)
    try:
        fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", counter)
    return count


def company_funds(make, campaign, user, workers):
    make.workers(campaign, workers)
    make.paid_gift(campaign, workers * 6 * 16_800, designation=Designation.csr, kind=DonationKind.bulk,
                   workers_count=workers, months=6, donor_id=user.id, donor_email=user.email)


def test_queries_do_not_grow_with_the_workers_helped(app, make):
    few, many = (create_user(f"{name}@example.test", "password123", role=Role.donor) for name in ("few", "many"))
    campaign = make.campaign()
    company_funds(make, campaign, few, 2)
    company_funds(make, campaign, many, 20)
    db.session.commit()

    assert len(workers_helped(many, today=clock.today())) == 20
    assert {h.state for h in workers_helped(many, today=clock.today())} == {"waiting_bpjs"}
    db.session.expire_all()
    assert statements_during(lambda: workers_helped(few, today=clock.today())) == statements_during(lambda: workers_helped(many, today=clock.today()))
