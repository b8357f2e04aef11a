"""Every public, donor and manager page at 360 px: no horizontal scroll, chart text of at least 12 px, 0 axe violations.

The pages come from the URL map, so a new page is visited (or must be listed in
``NOT_PAGES`` with the reason). axe-core is the npm package (see ``axe_script``
in conftest.py); the browser context bypasses CSP only so the test can inject it.
"""

import io
import json
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from donate import clock
from donate.demo import DEMO_SLUG, load_demo
from donate.extensions import db
from donate.models import (
    Campaign,
    Designation,
    DonationKind,
    RemittanceBatch,
    Role,
    Subscription,
    Worker,
)
from donate.models.base import utcnow
from donate.services.access.accounts import create_user, password_reset_token
from donate.services.campaigns.images import save_image, set_cover
from donate.services.campaigns.updates import post_update, unsubscribe_token
from donate.services.coverage.links import issue_status_link
from donate.services.coverage.waitlist import is_fundable
from donate.services.money.checkout import Donor, sponsor_worker
from donate.services.money.receipts import issue_receipt, payment_token
from donate.services.money.subscriptions import sponsorship_token
from donate.services.workers.imports import start_upload
from donate.services.workers.registry import worker_nik
from tests.manage_helpers import user

WIDTH = 360
#: Smallest text, in CSS pixels, a chart may draw at 360 px.
MIN_CHART_TEXT_PX = 12

#: GET routes that are not pages a person reads, and why.
NOT_PAGES = {
    "static": "files", "public.media": "pictures",
    "api.campaign": "JSON", "api.campaigns": "JSON", "api.openapi": "JSON",
    "manage.batch_file": "CSV download", "manage.export": "CSV download", "manage.rejected_rows": "CSV download",
    "manage.chart": "SVG image, measured on the dashboard",
    "auth.confirm": "redirects once the address is confirmed",
    "sandbox.checkout": "the development provider's stand-in for a payment page",
    "embed.campaign": "a widget framed by other sites, checked by its own tests",
}
#: Who opens each blueprint's pages.
ROLE_OF = {"donor.home": "donor", "privacy.index": "donor", "manage": "admin"}


def picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1600, 900), (11, 93, 59)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def world(app, make):
    """The demo campaign with a cover, news, doa, a donor's sponsorship and receipt, and an admin."""
    load_demo(40, manager_email="amil@lindungi.test", manager_password="demo-password-1", now=clock.now(),
              today=clock.today())
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == DEMO_SLUG))
    admin = user("admin@lindungi.test", Role.admin)
    donor = create_user("siti@example.com", "rahasia-sekali", name="Siti Aminah")
    set_cover(campaign, picture(), user=admin)
    post_update(campaign, title="40 pekerja terdaftar", body="Terima kasih, **para donatur**.",
                image=save_image(picture()), user=admin, now=utcnow())
    # Workers a gift may fund, in a fixed order: the database returns unordered rows in any order it likes.
    waiting = [worker for worker in db.session.scalars(sa.select(Worker).where(
        Worker.campaign_id == campaign.id, Worker.public_profile.is_(True)).order_by(Worker.id))
        if is_fundable(worker, Designation.infak, campaign)]
    sponsored = waiting[-1]
    gift = make.paid_gift(campaign, 6 * 16_800, designation=Designation.csr, kind=DonationKind.worker,
                          worker=sponsored, months=6, donor_id=donor.id, donor_email=donor.email,
                          donor_name=donor.name, message="Semoga sehat dan selamat selalu")
    payment = gift.payments[0]
    issue_receipt(payment, email=False, now=utcnow())
    batch = db.session.scalar(sa.select(RemittanceBatch).where(RemittanceBatch.campaign_id == campaign.id))
    token = issue_status_link(sponsored, now=clock.now())
    monthly, _url = sponsor_worker(campaign, waiting[-2], "monthly", Designation.infak,
                                   Donor(name=donor.name, email=donor.email, user_id=donor.id),
                                   lambda p: ("/ok", "/batal"), method="qris", today=clock.today(), now=clock.now())
    subscription = db.session.scalar(sa.select(Subscription).where(Subscription.donation_id == monthly.donation_id))
    job = start_upload(campaign, make.worker_csv([make.csv_row()]), user=admin, verified=False, skip_invalid=False,
                       today=clock.today())
    db.session.commit()
    values = {
        "job_token": job.token, "slug": campaign.slug, "public_id": waiting[0].public_id, "batch_id": batch.id, "payment_id": payment.id,
        "user_id": donor.id, "name": "progress",
    }
    tokens = {
        "donor.thanks": payment_token(payment), "donor.receipt": payment_token(payment),
        "donor.receipt_print": payment_token(payment),
        "status.link": token, "auth.reset": password_reset_token(donor),
        "public.unsubscribe": unsubscribe_token(campaign, "someone@example.com"),
        "donor.monthly": sponsorship_token(subscription),
    }
    return {"values": values, "tokens": tokens, "worker": sponsored, "donor": donor, "admin": admin,
            "card_worker": sponsored}


def pages(app, world) -> list[tuple[str, str, str]]:
    """Return (endpoint, url, role) for every GET page in the URL map."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        values = dict(world["values"])
        if "token" in rule.arguments:
            values["token"] = world["tokens"][rule.endpoint]
        if rule.endpoint == "manage.card":
            values["public_id"] = world["card_worker"].public_id
        url = rule.build({k: v for k, v in values.items() if k in rule.arguments}, append_unknown=False)[1]
        role = ROLE_OF.get(rule.endpoint) or ROLE_OF.get(rule.endpoint.split(".")[0], "visitor")
        if rule.endpoint in ("manage.card", "manage.cards"):
            role = "admin"
        found.append((rule.endpoint, url, role))
    return found


def log_in(context, live_server, who) -> None:
    """Log in through the signed session cookie the login form would set."""
    from flask import current_app

    serializer = current_app.session_interface.get_signing_serializer(current_app)
    cookie = serializer.dumps({"_user_id": who.get_id(), "_fresh": True})
    context.add_cookies([{"name": current_app.config.get("SESSION_COOKIE_NAME", "session"),
                          "value": cookie, "url": live_server}])


#: Inline SVG text drawn smaller than the limit (font size times the SVG's scale on screen).
SMALL_SVG_TEXT = """(limit) => [...document.querySelectorAll('svg text')].map(t => {
  const ctm = t.getScreenCTM(); const size = parseFloat(getComputedStyle(t).fontSize) * (ctm ? ctm.a : 1);
  return [t.textContent.trim(), size]; }).filter(([text, size]) => text && size < limit)"""
#: Chart images (<img> of an SVG): their drawn width and the SVG they show.
CHART_IMAGES = """() => [...document.querySelectorAll('figure.chart img')].map(i => [i.currentSrc || i.src, i.clientWidth])"""


def chart_image_text_px(page, src: str, drawn_width: float) -> float:
    """Return the smallest font an SVG chart image draws at ``drawn_width`` CSS pixels."""
    svg = page.request.get(src).text()
    view_width = float(re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+) [\d.]+"', svg).group(1))
    sizes = [float(s) for s in re.findall(r"font-size:\s*([\d.]+)px", svg)]
    sizes += [float(s) for s in re.findall(r'font-size="([\d.]+)', svg)]
    return min(sizes) * drawn_width / view_width


def axe_violations(page, axe_script: str) -> list[dict]:
    page.add_script_tag(content=axe_script)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]]


def check(page, url: str, axe_script: str) -> list[str]:
    """Return what is wrong with the page now shown (empty when all is well)."""
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        wide = page.evaluate(f"""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > {WIDTH} + 1 && !e.closest('.scroll, .scroll-x'))
            .slice(0, 5).map(e => e.tagName + '.' + e.className)""")
        problems.append(f"{url}: {width} px wide ({wide})")
    small = page.evaluate(SMALL_SVG_TEXT, MIN_CHART_TEXT_PX)
    if small:
        problems.append(f"{url}: chart text under {MIN_CHART_TEXT_PX} px: {small[:3]}")
    for src, drawn in page.evaluate(CHART_IMAGES):
        size = chart_image_text_px(page, src, drawn)
        if size < MIN_CHART_TEXT_PX:
            problems.append(f"{url}: chart {src} draws {size:.1f} px text")
    violations = axe_violations(page, axe_script)
    if violations:
        problems.append(f"{url}: axe: {json.dumps(violations, ensure_ascii=False)}")
    return problems


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_page_fits_a_phone_and_passes_axe(app, world, browser, live_server, axe_script, lang):
    contexts = {}
    for role in ("visitor", "donor", "admin"):
        context = browser.new_context(base_url=live_server, viewport={"width": WIDTH, "height": 740},
                                      locale="id-ID", bypass_csp=True)
        if role != "visitor":
            log_in(context, live_server, world[role])
        contexts[role] = context.new_page()
        contexts[role].set_default_timeout(15_000)
        contexts[role].goto(f"/?lang={lang}")
    problems, visited = [], set()
    for endpoint, url, role in pages(app, world):
        page = contexts[role]
        response = page.goto(url)
        assert response.status < 400, f"{endpoint} {url} as {role}: {response.status}"
        problems += check(page, url, axe_script)
        visited.add(endpoint)

    # The pages behind a form: a status answer (NIK and name, then KPJ) and a refused gift.
    page = contexts["visitor"]
    page.goto("/status/")
    page.fill("input[name=nik]", worker_nik(world["worker"]))
    page.fill("input[name=full_name]", world["worker"].full_name)
    page.locator("form", has=page.locator("input[name=nik]")).locator("button[type=submit]").click()
    assert page.locator("#answer").count() == 1
    problems += check(page, "status answer", axe_script)
    page.goto(f"/donor/campaigns/{DEMO_SLUG}/give")
    page.locator("form.stack > button[type=submit]").click()
    assert page.locator(".error").count() >= 1
    problems += check(page, "gift form with errors", axe_script)

    assert {"public.campaign", "donor.home", "manage.dashboard", "status.index"} <= visited
    assert problems == [], "\n".join(problems)
