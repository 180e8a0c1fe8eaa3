"""CLI: `flask app init` (permissions, lookups, roles, admin, demo), `flask app vapid-keys`, `flask seed ...`.

It sits above every module (it seeds them all), so `core` never imports a feature module or `seed`.
"""

from __future__ import annotations

import importlib
import os
import secrets

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l

from app.audit.context import audit_disabled, system_actor
from app.core.display import register_labels
from app.core.transactions import transaction
from app.extensions import appbuilder
from app.modules import MODULES

app_cli = AppGroup("app", help="Set up and maintain the platform.")
seed_cli = AppGroup("seed", help="Load seed data (idempotent).")


def _seed_lookups() -> dict[str, int]:
    from app.lookups.services import seed_lookups

    # The audit actions must exist before any audited write can be logged.
    with audit_disabled():
        seed_lookups(only=("audit_actions",))
    return seed_lookups()


def ensure_admin(password: str | None = None) -> tuple[bool, str | None]:
    """Create the `admin` user once; returns (created, generated password or None)."""
    from app.security.passwords import password_problem

    sm = appbuilder.sm
    if sm.find_user(username="admin") is not None:
        return False, None
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(16)
    problem = password_problem(password)
    if problem:
        raise click.ClickException(f"ADMIN_PASSWORD refused: {problem}")
    sm.add_user(
        username="admin",
        first_name="Admin",
        last_name="User",
        email=os.environ.get("ADMIN_EMAIL", "admin@example.com"),
        role=sm.find_role("Admin"),
        password=password,
    )
    return True, generated


def initialize(with_demo: bool = True) -> dict[str, object]:
    """Everything `flask app init` does, callable from tests; committed once at the end."""
    with transaction():
        return _initialize(with_demo)


def _initialize(with_demo: bool) -> dict[str, object]:
    from app.security.roles import ensure_roles, sync_roles

    lookups = _seed_lookups()  # first: every audited write needs the audit action lookups
    ensure_roles()  # FAB grants Admin each new permission as it creates it
    appbuilder.add_permissions(update_perms=True)
    roles = sync_roles()
    for name in MODULES:  # module hooks: e.g. media records its storage providers
        hook = getattr(importlib.import_module(name), "initialize", None)
        if hook is not None:
            hook()
    demo: dict[str, object] = {}
    if with_demo:
        from seed.demo import seed_demo

        demo = seed_demo()
    return {"lookups": lookups, "roles": roles, "demo": demo}


register_labels(
    "task",
    {
        "init": _l("set-up"),
        "sync-roles": _l("sync roles"),
        "seed-lookups": _l("load lookups"),
        "seed-demo": _l("load demo data"),
    },
)


@app_cli.command("init")
@click.option("--no-demo", is_flag=True, help="Skip the demo data.")
def init_command(no_demo: bool) -> None:
    """Sync permissions and roles, seed lookups and demo data, create the admin user."""
    with system_actor("init"), transaction():
        result = initialize(with_demo=not no_demo)
        created, generated = ensure_admin(os.environ.get("ADMIN_PASSWORD"))
    click.echo(f"Lookups: {result['lookups']}")
    click.echo(f"Roles: {', '.join(result['roles'])}")
    demo = result["demo"]
    if isinstance(demo, dict):
        _echo_demo_users(demo)
    if created:
        click.echo("Admin user 'admin' created.")
        if generated:
            click.echo(f"  Generated admin password (shown once): {generated}")


@app_cli.command("sync-roles")
def sync_roles_command() -> None:
    """Apply the role matrix in app/security/roles.py."""
    from app.security.roles import ensure_roles, sync_roles

    with system_actor("sync-roles"), transaction():
        ensure_roles()
        appbuilder.add_permissions(update_perms=True)
        click.echo(", ".join(sync_roles()))


@app_cli.command("vapid-keys")
def vapid_keys_command() -> None:
    """Print a new VAPID key pair for web push: put both lines in the environment."""
    from app.notifications.services.push import generate_keys

    private, public = generate_keys()
    click.echo(f"VAPID_PRIVATE_KEY={private}")
    click.echo(f"VAPID_PUBLIC_KEY={public}")


@seed_cli.command("lookups")
def seed_lookups_command() -> None:
    """Upsert every lookup type and value from seed/lookups/*.yaml."""
    with system_actor("seed-lookups"), transaction():
        click.echo(_seed_lookups())


def _echo_demo_users(demo: dict[str, object]) -> None:
    """Passwords generated in this run, once; users made with DEMO_PASSWORD by name only."""
    passwords = demo.get("passwords") or {}
    created = demo.get("created") or []
    if isinstance(passwords, dict) and passwords:
        click.echo("Demo users created, with generated passwords (shown once, keep them):")
        for username, password in passwords.items():
            click.echo(f"  {username} / {password}")
    elif isinstance(created, list) and created:
        click.echo(f"Demo users created with DEMO_PASSWORD: {', '.join(created)}")


@seed_cli.command("demo")
def seed_demo_command() -> None:
    """Load the bilingual demo content."""
    from seed.demo import seed_demo

    with system_actor("seed-demo"), transaction():
        result = seed_demo()
    _echo_demo_users(result)


def register_cli(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(app_cli)
    app.cli.add_command(seed_cli)
