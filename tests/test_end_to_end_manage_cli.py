"""Staff created from the command line can run their campaign in /manage."""

from donate.extensions import db
from donate.models import Role, User
from donate.services.access.staff import visible_campaigns


def test_demo_manager_runs_the_demo_campaign(app, runner, client):
    result = runner.invoke(args=["demo", "--workers", "20"])
    assert result.exit_code == 0, result.output
    manager = db.session.query(User).filter_by(email="manager@lindungi.test").one()
    assert [c.slug for c in visible_campaigns(manager)] == ["gn-lingkaran-2018"]
    with client.session_transaction() as session:
        session["_user_id"] = manager.get_id()
        session["_fresh"] = True
    page = client.get("/manage/campaigns/gn-lingkaran-2018")
    assert page.status_code == 200
    assert "APBD Provinsi Riau" in page.get_data(as_text=True)


def test_create_user_assigns_campaigns(app, runner, make):
    make.campaign("riau")
    db.session.commit()
    result = runner.invoke(args=["create-user", "v@example.org", "--role", "verifier", "--password",
                                 "correct horse battery", "--campaign", "riau"])
    assert result.exit_code == 0, result.output
    assert "for riau" in result.output
    verifier = db.session.query(User).filter_by(email="v@example.org").one()
    assert verifier.role == Role.verifier
    assert [c.slug for c in visible_campaigns(verifier)] == ["riau"]
    donor = runner.invoke(args=["create-user", "d@example.org", "--password", "correct horse battery",
                                "--campaign", "riau"])
    assert donor.exit_code != 0 and "manajer dan verifikator" in donor.output
    unknown = runner.invoke(args=["create-user", "x@example.org", "--password", "correct horse battery",
                                  "--campaign", "nowhere"])
    assert unknown.exit_code != 0 and "nowhere" in unknown.output
