"""Kabar terbaru: a manager's news on a campaign, shown on its page and emailed once to each donor."""

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from itsdangerous import BadSignature, URLSafeSerializer

from ...extensions import db
from ...models import RECEIVED_STATES, Campaign, CampaignUpdate, Donation, Payment, UpdateOptOut, User
from ..access.audit import record_action
from ..mail import external_url, mail_locale, send_mail
from ..errors import DomainError
from .story import render_markdown

#: Updates shown on the campaign page.
SHOWN_UPDATES = 5


class UpdateRefused(DomainError):
    """An update that cannot be posted (no title or text)."""

    default = lazy_gettext("an update needs a title and a text")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="update-unsubscribe")


def unsubscribe_token(campaign: Campaign, email: str) -> str:
    """Return the token of the link that stops a campaign's updates to ``email``."""
    return _serializer().dumps([campaign.id, email])


def unsubscribe(token: str, *, now: dt.datetime) -> Campaign | None:
    """Stop the updates the token names (again is harmless); ``None`` if the token is forged."""
    try:
        campaign_id, email = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    if db.session.get(UpdateOptOut, (campaign.id, email)) is None:
        db.session.add(UpdateOptOut(campaign_id=campaign.id, email=email, created_at=now))
        db.session.flush()
    return campaign


def donor_languages(campaign: Campaign) -> dict[str, str]:
    """Return each donor's email with their language (their account's, else their latest gift's), opt-outs left out."""
    latest = (
        sa.select(Donation.donor_email, sa.func.max(Donation.id).label("last_id"))
        .join(Payment, Payment.donation_id == Donation.id)
        .where(Donation.campaign_id == campaign.id, Donation.donor_email.is_not(None),
               Payment.state.in_(RECEIVED_STATES))
        .group_by(Donation.donor_email).subquery()
    )
    opted_out = sa.select(UpdateOptOut.email).where(UpdateOptOut.campaign_id == campaign.id)
    rows = db.session.execute(
        sa.select(latest.c.donor_email, sa.func.coalesce(User.locale, Donation.locale))
        .join(Donation, Donation.id == latest.c.last_id)
        .outerjoin(User, User.id == Donation.donor_id)
        .where(latest.c.donor_email.not_in(opted_out))
    ).all()
    return dict(rows)


def post_update(campaign: Campaign, *, title: str, body: str, image: str | None, user: User | None,
                now: dt.datetime) -> CampaignUpdate:
    """Publish an update and email it once to each donor of the campaign, in the donor's language."""
    title, body = (title or "").strip(), (body or "").strip()
    if not title or not body:
        raise UpdateRefused()
    update = CampaignUpdate(campaign_id=campaign.id, author_id=user.id if user else None, title=title[:200],
                            body=body, image=image, created_at=now)
    db.session.add(update)
    db.session.flush()
    link = external_url("public.campaign", slug=campaign.slug, _anchor=f"kabar-{update.id}")
    recipients = donor_languages(campaign)
    for email, language in sorted(recipients.items()):
        with force_locale(mail_locale(language)):
            send_mail(email, _("News from %(campaign)s: %(title)s", campaign=campaign.name, title=update.title),
                      "campaign_update", campaign=campaign, update=update, link=link,
                      unsubscribe=external_url("public.unsubscribe", token=unsubscribe_token(campaign, email)))
    update.emailed = len(recipients)
    record_action("campaign.update_post", user=user, campaign=campaign, subject=f"update {update.id}",
                  params={"update": update.id, "emailed": update.emailed})
    db.session.flush()
    return update


def latest_updates(campaign: Campaign, limit: int = SHOWN_UPDATES) -> list[tuple[CampaignUpdate, object]]:
    """Return the newest updates with their text rendered: (update, html)."""
    updates = db.session.scalars(
        sa.select(CampaignUpdate).where(CampaignUpdate.campaign_id == campaign.id)
        .order_by(CampaignUpdate.created_at.desc(), CampaignUpdate.id.desc()).limit(limit)).all()
    return [(update, render_markdown(update.body)) for update in updates]
