"""Security headers on every page, no inline script or style, the environment and the sandbox, upload size."""

import re

import pytest

from donate import clock
from donate import create_app
from donate.extensions import db
from donate.models import Role
from donate.services.coverage.links import issue_status_link
from tests.manage_helpers import login, staff_user
from tests.payments.test_sandbox import sponsorship

PAGES = ["/", "/campaigns/test-campaign", "/status/", "/auth/login", "/auth/register", "/api/v1/campaigns",
         "/transparency/campaigns/test-campaign", "/no-such-page"]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(client, make, path):
    make.campaign()
    db.session.commit()
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] in ("strict-origin-when-cross-origin", "no-referrer")
    assert "Strict-Transport-Security" not in headers  # not over plain http in development


def test_only_the_embed_widget_may_be_framed(client, make):
    make.campaign()
    db.session.commit()
    headers = client.get("/embed/campaigns/test-campaign").headers
    assert headers["Content-Security-Policy"].endswith("frame-ancestors *")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in headers


INLINE = [re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), re.compile(r"<style", re.I),
          re.compile(r"\sstyle\s*=", re.I), re.compile(r"\son[a-z]+\s*=", re.I), re.compile(r"javascript:", re.I)]


def test_pages_have_no_inline_script_or_style(app, client, make):
    """The CSP forbids inline script and style: nothing the pages render may need them."""
    campaign = make.campaign()
    worker = make.worker(campaign)
    manager = staff_user("m@example.org", Role.manager, campaign)
    issue_status_link(worker, by=manager, now=clock.now())
    gift = make.paid_gift(campaign, 16_800, donor_email="d@example.org")
    db.session.commit()
    pages = ["/", f"/campaigns/{campaign.slug}", "/status/", "/auth/login", f"/embed/campaigns/{campaign.slug}",
             f"/transparency/campaigns/{campaign.slug}"]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        for pattern in INLINE:
            assert not pattern.search(html), (path, pattern.pattern)
    login(client, manager)
    for path in [f"/manage/campaigns/{campaign.slug}/workers/{worker.public_id}/card", f"/manage/campaigns/{campaign.slug}/cards",
                 f"/manage/campaigns/{campaign.slug}", f"/manage/campaigns/{campaign.slug}/workers",
                 f"/manage/campaigns/{campaign.slug}/gifts"]:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        for pattern in INLINE:
            assert not pattern.search(html), (path, pattern.pattern)
    assert gift.id


def _production_app(tmp_path, env="production", **extra):
    return create_app({"ENV": env, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k", "ENCRYPTION_KEY": "k",
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", **extra})


@pytest.mark.parametrize("env", ["production", "PRODUCTION", "Production", "prod", " production\n", "staging", "live"])
def test_the_sandbox_refuses_to_start_unless_env_is_development_or_test(tmp_path, env):
    with pytest.raises(RuntimeError, match="sandbox"):
        _production_app(tmp_path, env, PAYMENT_PROVIDER="sandbox")
    with pytest.raises(RuntimeError, match="sandbox"):
        _production_app(tmp_path, env)  # no provider set: the default would be the sandbox


@pytest.mark.parametrize("env", ["PRODUCTION", "prod", "staging"])
def test_sandbox_routes_are_absent_in_production(tmp_path, env):
    app = _production_app(tmp_path, env, PAYMENT_PROVIDER="stripe", STRIPE_SECRET_KEY="sk_test_x")
    assert app.config["ENV"] == ("staging" if env == "staging" else "production")
    assert not any(rule.endpoint.startswith("sandbox.") for rule in app.url_map.iter_rules())
    client = app.test_client()
    assert client.get("/sandbox/checkout/sbx_x").status_code == 404
    assert client.post("/sandbox/checkout/sbx_x", data={"outcome": "pay"}).status_code == 404
    assert client.post("/webhooks/sandbox", data=b"{}").status_code == 404
    headers = client.get("/auth/login").headers
    assert headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("env", ["Development", "TEST", "dev", "testing"])
def test_development_and_test_may_use_the_sandbox(tmp_path, env):
    app = _production_app(tmp_path, env, PAYMENT_PROVIDER="sandbox")
    assert app.config["ENV"] in ("development", "test")


@pytest.mark.parametrize("target", ["/%09/evil.example", "//evil.example", "https://evil.example", "/%5Cevil.example"])
def test_the_sandbox_checkout_follows_only_same_site_paths(client, make, target):
    _, payment, _ = sponsorship(make)
    response = client.post(f"/sandbox/checkout/{payment.provider_ref}?next={target}&cancel={target}",
                           data={"outcome": "pay"})
    assert response.status_code == 302 and "evil.example" not in response.headers["Location"]


def test_an_upload_over_the_limit_gets_a_clear_413(app, client, make):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    campaign = make.campaign()
    manager = staff_user("m@example.org", Role.manager, campaign)
    db.session.commit()
    login(client, manager)
    big = b"nik,full_name\n" + b"x" * (2 * 1024 * 1024)
    from io import BytesIO

    response = client.post(f"/manage/campaigns/{campaign.slug}/workers/upload?lang=en",
                           data={"file": (BytesIO(big), "big.csv")}, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "larger than 20 MB" in response.get_data(as_text=True)


def test_proxy_fix_trusts_only_the_configured_proxies(tmp_path):
    app = _production_app(tmp_path, "test", PAYMENT_PROVIDER="sandbox", TRUSTED_PROXIES=1)
    seen = {}

    @app.get("/_ip")
    def ip():
        from flask import request

        seen["ip"] = request.remote_addr
        return ""

    app.test_client().get("/_ip", headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7"},
                          environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen["ip"] == "198.51.100.7"  # one proxy: only its own entry is believed
    untrusting = _production_app(tmp_path, "test", PAYMENT_PROVIDER="sandbox")
    untrusting.add_url_rule("/_ip", view_func=ip)
    untrusting.test_client().get("/_ip", headers={"X-Forwarded-For": "203.0.113.9"},
                                 environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert seen["ip"] == "10.0.0.1"


def test_dashboard_charts_are_svg_images_of_their_own(client, make):
    campaign = make.campaign()
    manager = staff_user("m@example.org", Role.manager, campaign)
    db.session.commit()
    login(client, manager)
    html = client.get(f"/manage/campaigns/{campaign.slug}").get_data(as_text=True)
    assert f'src="/manage/campaigns/{campaign.slug}/charts/progress.svg"' in html
    svg = client.get(f"/manage/campaigns/{campaign.slug}/charts/progress.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and "<svg" in svg.get_data(as_text=True)
    assert "<script" not in svg.get_data(as_text=True)
    assert client.get(f"/manage/campaigns/{campaign.slug}/charts/other.svg").status_code == 404
    client.post("/auth/logout")
    assert client.get(f"/manage/campaigns/{campaign.slug}/charts/progress.svg").status_code in (302, 403)
