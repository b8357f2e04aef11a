"""The progress page of long work started from a manage page (an upload, an allocation)."""

import sqlalchemy as sa
from flask import abort, render_template
from flask_babel import get_locale

from ... import jobs
from ...extensions import db
from ...forms.manage import UploadForm
from ...models import BackgroundJob, JobState
from . import MANAGE, REGISTER, bp, campaign_for


@bp.get("/campaigns/<slug>/jobs/<job_token>")
def job(slug, job_token):
    """Show how far a background job got, refreshing by itself until it is done; then its result."""
    campaign = campaign_for(slug, REGISTER)
    found = db.session.scalar(sa.select(BackgroundJob).where(BackgroundJob.token == job_token,
                                                            BackgroundJob.campaign_id == campaign.id))
    if found is None:
        abort(404)
    if found.kind != "import_workers":  # only an upload is a registrar's; the rest is a manager's work
        campaign_for(slug, MANAGE)
    finished = found.state in (JobState.done, JobState.failed)
    # An upload's page offers the next upload, as the upload page does.
    form = UploadForm() if finished and found.kind == "import_workers" else None
    done, total = jobs.progress_of(found)
    return render_template("manage/job.html", campaign=campaign, job=found, finished=finished, form=form,
                           language=get_locale().language,
                           percent=100 if finished else min(99, 100 * done // max(total, 1)))
