"""Long work run off the request (imports, allocations, exports, mail), with its progress."""

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import enum_column, utcnow


class JobState(enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class BackgroundJob(db.Model):
    """One piece of long work: what to do, how far it got, and what came of it.

    The row is the truth the progress page reads, whichever runs the work
    (an RQ worker, or the request itself when no Redis is configured).
    """

    __tablename__ = "background_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unguessable, in the progress page's URL.
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    #: The registered job function (``donate.jobs.JOBS``), e.g. "import_workers".
    kind: Mapped[str] = mapped_column(sa.String(40))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    state: Mapped[JobState] = mapped_column(enum_column(JobState), default=JobState.queued)
    #: Work done out of ``total`` (rows, workers...), for the progress bar.
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    #: The job's input (JSON), e.g. the uploaded file's options; large inputs live in ``payload``.
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: Encrypted input or output too large or too private for ``params``/``result`` (a CSV file).
    payload: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    #: What the page shows when it is done (JSON).
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
