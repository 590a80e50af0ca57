"""Studio and school commands: flask studios create | add-member | add-coordinator, flask schools create."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from library.accounts import schools
from library.accounts import service as accounts
from library.errors import DomainError
from library.studios import service as studios

studio_cli = AppGroup("studios", help="Manage studios.")


@studio_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--subject", required=True, help="Subject code, e.g. math.")
@click.option("--stage", required=True, help="preschool | primary | junior | senior")
@click.option("--host", "host", default=None, help="Username of the host (主持人).")
def studios_create(slug: str, name: str, subject: str, stage: str, host: str | None) -> None:
    """Create a studio, optionally with its host."""
    try:
        host_user = accounts.get_user(host) if host else None
        studio = studios.create_studio(slug, name, subject, stage)
        if host_user is not None:
            studios.add_member(studio, host_user, "host")
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"created studio {studio.slug}")


@studio_cli.command("add-member")
@click.argument("slug")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["host", "member", "trainee"]))
def studios_add_member(slug: str, username: str, role: str) -> None:
    """Give a user a role in a studio."""
    try:
        studios.add_member(studios.get_studio(slug), accounts.get_user(username), role)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"{username} is now {role} of {slug}")


@studio_cli.command("add-coordinator")
@click.argument("slug")
@click.argument("username")
def studios_add_coordinator(slug: str, username: str) -> None:
    """Make a coordinator (研训员) liaise with a studio."""
    try:
        studio = studios.get_studio(slug)
        studios.set_coordinators(studio, [*studio.coordinators, accounts.get_user(username)])
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"{username} now liaises with {slug}")


school_cli = AppGroup("schools", help="Manage schools.")


@school_cli.command("create")
@click.argument("name")
@click.option("--weak", is_flag=True, help="A weak school (薄弱学校) that studios help.")
@click.option("--subjects", default="", help="Subjects it needs help with: CODE,CODE.")
@click.option("--stages", default="", help="Its stages: CODE,CODE.")
def schools_create(name: str, weak: bool, subjects: str, stages: str) -> None:
    """Create a school."""
    try:
        schools.create_school(name, weak=weak, subjects=[c for c in subjects.split(",") if c],
                              stages=[c for c in stages.split(",") if c])
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"created school {name}")


COMMANDS = (studio_cli, school_cli)
