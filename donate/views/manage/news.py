"""The campaign page's cover and news (Kabar terbaru), and hiding abusive doa."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import clock
from ...extensions import db
from ...forms.manage import CoverForm, UpdateForm
from ...services.campaigns.images import ImageRefused, save_image, set_cover
from ...services.campaigns.updates import UpdateRefused, latest_updates, post_update
from ...services.donors.doa import hide_prayer, prayers
from . import MANAGE, bp, campaign_for

#: Doa per page on the moderation page.
DOA_PER_PAGE = 30


def _picture(field) -> bytes | None:
    """Return the bytes of an uploaded picture, or ``None`` when none was chosen."""
    upload = field.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return upload.read()


@bp.route("/campaigns/<slug>/news", methods=["GET", "POST"])
def news(slug):
    """Post an update, emailed to the campaign's donors, with an optional picture."""
    campaign = campaign_for(slug, MANAGE)
    form = UpdateForm()
    if form.validate_on_submit():
        try:
            data = _picture(form.picture)
            update = post_update(campaign, title=form.title.data, body=form.body.data,
                                 image=save_image(data) if data else None, user=current_user,
                                 now=clock.now())
        except ImageRefused as exc:
            form.picture.errors = list(form.picture.errors) + [_("This picture cannot be used: %(reason)s", reason=str(exc))]
        except UpdateRefused as exc:
            form.body.errors = list(form.body.errors) + [str(exc)]
        else:
            db.session.commit()
            flash(_("Update posted and emailed to %(count)s donors.", count=update.emailed))
            return redirect(url_for("manage.news", slug=campaign.slug))
    return render_template("manage/news.html", campaign=campaign, form=form, cover_form=CoverForm(),
                           updates=latest_updates(campaign, limit=20))


@bp.post("/campaigns/<slug>/cover")
def cover(slug):
    """Replace the campaign page's cover picture (resized and stored under ``instance/media``)."""
    campaign = campaign_for(slug, MANAGE)
    form = CoverForm()
    if form.validate_on_submit():
        try:
            set_cover(campaign, _picture(form.picture) or b"", user=current_user)
        except ImageRefused as exc:
            db.session.rollback()
            flash(_("This picture cannot be used: %(reason)s", reason=str(exc)))
        else:
            db.session.commit()
            flash(_("The cover picture is on the campaign page."))
    else:
        flash(_("Choose a picture to upload."))
    return redirect(url_for("manage.news", slug=campaign.slug))


@bp.get("/campaigns/<slug>/doa")
def doa(slug):
    """List every doa, hidden ones too, to hide abuse."""
    campaign = campaign_for(slug, MANAGE)
    page = max(request.args.get("page", 1, type=int), 1)
    items, has_next = prayers(campaign, page=page, per_page=DOA_PER_PAGE, include_hidden=True)
    return render_template("manage/doa.html", campaign=campaign, prayers=items, page=page, has_next=has_next)


@bp.post("/campaigns/<slug>/doa/<int:donation_id>")
def hide_doa(slug, donation_id):
    """Hide a doa from the public page (or show it again)."""
    campaign = campaign_for(slug, MANAGE)
    hidden = request.form.get("hidden") == "1"
    if hide_prayer(campaign, donation_id, hidden=hidden, user=current_user, now=clock.now()) is not None:
        db.session.commit()
        flash(_("The prayer is hidden from the campaign page.") if hidden else _("The prayer is shown again."))
    return redirect(url_for("manage.doa", slug=campaign.slug, page=request.form.get("page", 1, type=int)))
