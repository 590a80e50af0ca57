"""Account commands: flask users create | set-password, flask tokens create."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from library.accounts import service as accounts
from library.errors import DomainError

users = AppGroup("users", help="Manage accounts.")


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "coordinator", "teacher", "school"]))
@click.option("--name", "display_name", default="", help="Name shown on pages.")
@click.option("--school", default=None, help="School name (required for school accounts).")
@click.option("--email", default=None, help="E-mail address; notifications are also mailed here.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(username: str, role: str, display_name: str, school: str | None, email: str | None,
                 password_stdin: bool) -> None:
    """Create an account."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        user = accounts.create_user(username, role, password, display_name, school, email=email)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"created user {user.username} ({user.role})")


@users.command("set-password")
@click.argument("username")
def users_set_password(username: str) -> None:
    """Set a user's password, read from standard input."""
    try:
        accounts.set_password(accounts.get_user(username), sys.stdin.readline().rstrip("\n"))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"password set for {username}")


tokens = AppGroup("tokens", help="Manage API tokens.")


@tokens.command("create")
@click.argument("username")
@click.option("--name", default="cli", help="What the token is for.")
def tokens_create(username: str, name: str) -> None:
    """Create an API token; it is printed once, as the last line."""
    try:
        token = accounts.create_token(accounts.get_user(username), name)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo("Keep this token secret; it is shown only once:", err=True)
    click.echo(token)


COMMANDS = (users, tokens)
