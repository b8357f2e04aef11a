"""``flask --app donate COMMAND``: thin commands over the services."""

import secrets
import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy.exc import IntegrityError

from . import clock
from .demo import DEMO_SLUG, load_demo
from .extensions import db
from .formatting import rupiah
from .maintenance import tick
from .models import Campaign, CampaignStatus, Designation, Role
from .services import ledger
from .services.access.accounts import AccountRefused
from .services.access.accounts import create_user as create
from .services.access.staff import AccessDenied, assign_staff
from .services.coverage.allocation import allocate_pool
from .services.money.donations import DonationRefused, record_funding
from .services.workers.imports import (
    ImportFileInvalid,
    import_workers,
    write_rejected,
)


def _campaign(slug: str) -> Campaign:
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        raise click.ClickException(f"no campaign with slug {slug!r}")
    return campaign


def _count(number: int, noun: str) -> str:
    """Return "1 worker" or "2 workers"."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _revision() -> str | None:
    """Return the schema's current migration, or None before the first."""
    if not sa.inspect(db.engine).has_table("alembic_version"):
        return None
    with db.engine.connect() as connection:
        return connection.scalar(sa.text("SELECT version_num FROM alembic_version"))


def _upgrade() -> None:
    """Bring the schema to the newest migration; refresh the planner's statistics when it moved.

    A migration that rebuilds a table (SQLite's batch mode) drops the table's
    statistics, and new indexes have none, so the planner could choose a plan
    that walks a whole table until ANALYZE runs.
    """
    before = _revision()
    upgrade(directory=current_app.extensions["migrate"].directory)
    if _revision() != before:
        with db.engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))


@click.command("init-db")
def init_db():
    """Create or upgrade the database schema."""
    _upgrade()
    click.echo("Database is up to date.")


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="donor", show_default=True)
@click.option("--password", help="Prompted for when not given.")
@click.option("--name", default="")
@click.option("--campaign", "campaigns", multiple=True, metavar="SLUG",
              help="Assign a manager or verifier to this campaign (repeatable).")
def create_user(email, role, password, name, campaigns):
    """Create a user who can log in."""
    chosen = [_campaign(slug) for slug in campaigns]
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create(email, password, role=Role(role), name=name)
        for campaign in chosen:
            assign_staff(campaign, user, actor=None)
    except (AccountRefused, AccessDenied) as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email}"
               + (f" for {', '.join(c.slug for c in chosen)}." if chosen else "."))


@click.command("import-workers")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--skip-invalid", is_flag=True, help="Import the good rows and write the bad ones to a CSV.")
@click.option("--rejected", "rejected_path", type=click.Path(dir_okay=False),
              help="Where --skip-invalid writes rejected rows (default: FILE.rejected.csv).")
@click.option("--pending", is_flag=True, help="Leave the workers for a verifier instead of taking them as verified.")
def import_workers_command(slug, file, skip_invalid, rejected_path, pending):
    """Import workers from a CSV register (all or nothing unless --skip-invalid)."""
    campaign = _campaign(slug)
    try:
        with open(file, "rb") as fh:
            report = import_workers(campaign, fh, today=clock.today(), now=clock.now(), verified=not pending,
                                    skip_invalid=skip_invalid)
    except ImportFileInvalid as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    except IntegrityError:
        db.session.rollback()
        raise click.ClickException(
            f"{file}: another import registered some of these NIKs at the same moment; nothing was imported. "
            "Run the import again to see which rows are now duplicates.") from None
    for rejected in report.rejected:
        click.echo(f"{file}:{rejected.line}: {rejected.reason}", err=True)
    if report.rejected and not skip_invalid:
        db.session.rollback()
        click.echo(f"{len(report.rejected)} of {report.rows} rows are invalid; nothing was imported. "
                   "Fix them, or use --skip-invalid to import the good rows.", err=True)
        sys.exit(1)
    db.session.commit()
    if report.rejected:
        rejected_path = rejected_path or f"{file}.rejected.csv"
        with open(rejected_path, "w", newline="", encoding="utf-8") as fh:
            write_rejected(report, fh)
        click.echo(f"Rejected rows written to {rejected_path}.", err=True)
    state = "pending verification" if pending else "verified"
    click.echo(f"Imported {report.imported} of {report.rows} workers ({state}) into {campaign.slug}.")


@click.command("record-funding")
@click.argument("slug")
@click.argument("amount_idr", type=click.IntRange(min=1))
@click.option("--funder", required=True, help='Who gave it, e.g. "APBD Provinsi Riau".')
@click.option("--designation", type=click.Choice([d.value for d in Designation]), default="csr", show_default=True)
@click.option("--reference", help="Transfer reference; recording the same reference twice counts it once.")
def record_funding_command(slug, amount_idr, funder, designation, reference):
    """Record an institutional or bank-transfer gift into the campaign's pool."""
    try:
        donation = record_funding(_campaign(slug), amount_idr, funder=funder,
                                  designation=Designation(designation), reference=reference,
                                  today=clock.today(), now=clock.now())
    except DonationRefused as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Recorded {rupiah(donation.amount_idr)} from {donation.funder} ({designation}) "
               f"as donation {donation.id}.")


@click.command("allocate")
@click.argument("slug", required=False)
def allocate_command(slug):
    """Spend pooled money on renewals and waiting workers (every open campaign if no SLUG)."""
    campaigns = [_campaign(slug)] if slug else db.session.scalars(
        sa.select(Campaign).where(Campaign.status == CampaignStatus.open).order_by(Campaign.id)).all()
    failed = []
    for campaign in campaigns:
        try:
            runs = allocate_pool(campaign, today=clock.today(), now=clock.now())
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - one campaign's failure must not stop the others' allocation
            db.session.rollback()
            current_app.logger.exception("allocation of %s failed", campaign.slug)
            click.echo(f"{campaign.slug}: allocation failed, nothing was allocated: {type(exc).__name__}: "
                       f"{str(exc).splitlines()[0][:200] if str(exc) else ''}", err=True)
            failed.append(campaign.slug)
            continue
        if not runs:
            click.echo(f"{campaign.slug}: nothing to allocate.")
        for run in runs:
            click.echo(f"{campaign.slug}: {run.kind.value} ({run.designation.value}): "
                       f"{_count(run.workers, 'worker')}, {_count(run.months, 'month')}, {rupiah(run.amount_idr)}")
    if failed:
        sys.exit(1)


@click.command("check-ledger")
def check_ledger_command():
    """Verify the ledger's invariants; exit 1 with the reasons if one fails."""
    problems = ledger.check_ledger()
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo("Ledger OK: every entry balances, no pool is negative, allocations match coverage, "
               "receipts match payments.")


@click.command("reconcile")
@click.argument("slug", required=False)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only payments created on or after DATE.")
def reconcile_command(slug, since):
    """Compare every payment with its provider's own record; exit 1 and print each difference."""
    from .payments.base import ProviderError
    from .services.money.reconcile import reconcile

    campaign = _campaign(slug) if slug else None
    try:
        report = reconcile(campaign, since=since)
    except ProviderError as exc:
        click.echo(f"could not ask the provider (request {exc.request_id or '-'}): {exc.detail}", err=True)
        sys.exit(1)
    for found in report.flagged:
        click.echo(f"flagged for a manager (money in suspense): {found}")
    for found in report.differences:
        click.echo(str(found), err=True)
    if report.differences:
        click.echo(f"{_count(len(report.differences), 'difference')} in {_count(report.checked, 'payment')}",
                   err=True)
        sys.exit(1)
    click.echo(f"Reconciled: {_count(report.checked, 'payment')} agree with their providers.")


@click.command("tick")
def tick_command():
    """Expire holds and stale payments; report workers whose coverage is lapsing."""
    summary = tick()
    db.session.commit()
    for key, value in summary.items():
        click.echo(f"{key.replace('_', ' ')}: {value}")


@click.command("demo")
@click.option("--workers", "count", type=click.IntRange(min=0), default=600, show_default=True)
def demo_command(count):
    """Create the schema and the GN Lingkaran 2018 demo campaign (if missing), then print a manager login."""
    _upgrade()
    if db.session.scalar(sa.select(Campaign).where(Campaign.slug == DEMO_SLUG)) is not None:
        click.echo(f"Demo campaign {DEMO_SLUG} already exists; nothing to do.")
        return
    password = secrets.token_urlsafe(9)
    summary = load_demo(count, manager_email="manager@lindungi.test", manager_password=password,
                        today=clock.today(), now=clock.now())
    db.session.commit()
    click.echo(f"Demo campaign {DEMO_SLUG}: {summary['workers']} synthetic workers, "
               f"{summary['donations']} paid gifts, {summary['funded']} workers funded.")
    click.echo(f"Manager login: manager@lindungi.test / {password}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst):
    """Run queued jobs (imports, allocations, exports, mail) from the Redis queue, retrying failures."""
    from . import jobs

    if jobs.mode() != "rq":
        click.echo("REDIS_URL is not set: jobs run in the web process; resending unsent mail only.")
    jobs.work(burst=burst)


COMMANDS = (init_db, create_user, import_workers_command, record_funding_command, allocate_command,
            check_ledger_command, reconcile_command, tick_command, demo_command, worker_command)


def init_app(app) -> None:
    """Register the commands on the app."""
    for command in COMMANDS:
        app.cli.add_command(command)
