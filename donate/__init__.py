"""Lindungi: donors pay BPJS Ketenagakerjaan premiums for informal workers."""

import os
from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session

from . import cli, formatting, labels, payments, security
from .config import load_config
from .extensions import babel, compress, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = str(Path(__file__).resolve().parent / "migrations")


def select_locale() -> str:
    """Use the language the visitor chose (``?lang=``, remembered in the session), else Indonesian."""
    languages = current_app.config["LANGUAGES"]
    language = current_app.config["BABEL_DEFAULT_LOCALE"]
    if has_request_context():  # the command line and emails sent from it use the default
        chosen = request.args.get("lang")
        if chosen in languages:
            session["lang"] = chosen
        if session.get("lang") in languages:
            language = session["lang"]
    return formatting.babel_locale(language)


def create_app(test_config: dict | None = None) -> Flask:
    """Create the app: load settings, bind extensions, register blueprints."""
    instance_path = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("DONATE_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=instance_path or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    load_config(app, test_config)

    security.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    compress.init_app(app)
    formatting.init_app(app)
    labels.init_app(app)
    payments.init_app(app)

    from . import models  # noqa: F401  (register the tables with the metadata)
    from .views import (
        api,
        auth,
        company,
        donor,
        embed,
        manage,
        privacy,
        public,
        sandbox,
        status,
        transparency,
        webhooks,
    )

    for module in (public, api, webhooks, auth, donor, company, status, privacy, embed, transparency, manage):
        app.register_blueprint(module.bp)
    if security.is_development(app):  # the sandbox's Pay button must not exist where money is real
        app.register_blueprint(sandbox.bp)
    cli.init_app(app)

    @login_manager.user_loader
    def load_user(session_id: str):
        """Return the session's user, unless the account ended its sessions since (logout, new password)."""
        user_id, _, version = session_id.partition(":")
        if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
            return None
        user = db.session.get(models.User, int(user_id))
        return user if user is not None and user.session_version == int(version) else None

    return app
