"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from donate.extensions import db


def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_form_one_line(app):
    from alembic.script import ScriptDirectory
    from flask_migrate import Config

    config = Config()
    config.set_main_option("script_location", app.extensions["migrate"].directory)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_sqlite_upgrades_a_database_that_holds_data(tmp_path):
    """Batch migrations rebuild tables on SQLite; rows pointing at them must not stop the upgrade."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from donate import create_app
    from tests.conftest import _config

    url = f"sqlite:///{tmp_path / 'upgrade.sqlite3'}"
    app = create_app(_config(url, tmp_path))
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="0013")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO campaigns (slug, name, story, target_workers, term_months, status, "
                                 "designations_accepted, mustahik_only, eligible_occupations, lock_version, "
                                 "created_at) VALUES ('c', 'C', '', 10, 6, 'open', 'zakat,infak,csr', 0, '', 0, "
                                 "'2018-03-15 00:00:00')"))
            conn.execute(sa.text("INSERT INTO donations (campaign_id, kind, designation, amount_idr, donor_name, "
                                 "is_anonymous, message, locale, amins, created_at) VALUES (1, 'pool', 'infak', "
                                 "16800, 'A', 0, '', 'id', 0, '2018-03-15 00:00:00')"))
            conn.execute(sa.text("INSERT INTO payments (donation_id, provider, amount_idr, refunded_idr, state, "
                                 "created_at) VALUES (1, 'sandbox', 16800, 0, 'created', '2018-03-15 00:00:00')"))
        upgrade(directory=directory)
        assert db.session.scalar(sa.text("SELECT COUNT(*) FROM payments")) == 1
        assert db.session.scalar(sa.text("PRAGMA foreign_keys")) == 1
        db.session.remove()
        db.engine.dispose()


def test_init_db_refreshes_the_planners_statistics_after_an_upgrade(tmp_path):
    """A rebuilt table loses its statistics; ``init-db`` runs ANALYZE once the schema moved, not otherwise."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from donate import create_app
    from tests.conftest import _config

    url = f"sqlite:///{tmp_path / 'stats.sqlite3'}"
    app = create_app(_config(url, tmp_path))
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory, revision="0013")
        assert not sa.inspect(db.engine).has_table("sqlite_stat1")
        result = app.test_cli_runner().invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        with db.engine.begin() as conn:
            # premium_rates is seeded by the migrations, so its index has statistics to keep.
            assert conn.scalar(sa.text("SELECT COUNT(*) FROM sqlite_stat1")) > 0
            conn.execute(sa.text("DELETE FROM sqlite_stat1"))
        result = app.test_cli_runner().invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        with db.engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT COUNT(*) FROM sqlite_stat1")) == 0
        db.session.remove()
        db.engine.dispose()
