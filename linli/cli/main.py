"""The `linli` command: global options, and every command group registered in one place."""

from __future__ import annotations

import click

from linli.cli.alerts import alerts_command
from linli.cli.audit import audit_command
from linli.cli.capacity import capacity_command
from linli.cli.community import backup, config, init, status
from linli.cli.context import Kit, LinliGroup
from linli.cli.demo import demo_data
from linli.cli.district import district_group
from linli.cli.exporting import export_group
from linli.cli.gateways import gateways_group
from linli.cli.importing import import_group
from linli.cli.inbox import inbox_command
from linli.cli.notices import notice_group
from linli.cli.operations import checkin_group, dispatch_command, parse_command, run_due_command
from linli.cli.operators import operators_group
from linli.cli.points import points_command
from linli.cli.purge import moved_out_command, purge_command
from linli.cli.records import export_messages, export_reports, export_tasks
from linli.cli.report import report_group
from linli.cli.residents import residents
from linli.cli.restore import restore
from linli.cli.serving import serve
from linli.cli.tasks import tasks_group
from linli.cli.templates import templates_group
from linli.cli.terminal import can_show_a_terminal_ui, demo, run_operators_ui
from linli.cli.volunteers import volunteers

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


@click.group(cls=LinliGroup, invoke_without_command=True, context_settings=CONTEXT_SETTINGS)
@click.option(
    "--db",
    "db_path",
    envvar="LINLI_DB",
    metavar="PATH",
    help="The SQLite file (or a postgresql:// URL). Default: $LINLI_DB, database.path, or the user data folder.",
)
@click.option(
    "--config",
    "config_path",
    envvar="LINLI_CONFIG",
    metavar="PATH",
    help="The TOML configuration file. Default: $LINLI_CONFIG, or none (every setting has a default).",
)
@click.option(
    "--operator",
    "operator_name",
    envvar="LINLI_OPERATOR",
    metavar="NAME",
    help="Who runs the command, once operators are set up (the PIN from $LINLI_OPERATOR_PIN or asked). "
    "Default: $LINLI_OPERATOR.",
)
@click.version_option(package_name="linli", prog_name="linli")
@click.pass_context
def main(ctx: click.Context, db_path: str | None, config_path: str | None, operator_name: str | None) -> None:
    """Linli (邻里): look after a neighbourhood in a crisis, from a terminal and by SMS.

    On a terminal, `linli` alone opens the operators' UI; `linli demo` opens it on a demo community.
    Start with `linli init`, import the register with `linli import residents`, and see the
    community with `linli status`. Every command has --help with an example; a failure prints
    one line and exits with status 2.

    \b
    Example:
      linli --db ~/linli/xingfuli.sqlite3 status
    """
    kit = Kit(db_option=db_path, config_option=config_path, operator_option=operator_name)
    ctx.obj = kit
    ctx.call_on_close(kit.close)
    if ctx.invoked_subcommand is None:
        if can_show_a_terminal_ui():
            run_operators_ui(kit)
        else:
            click.echo(ctx.get_help())


main.add_command(init)
main.add_command(status)
main.add_command(backup)
main.add_command(restore)
main.add_command(config)
main.add_command(residents)
main.add_command(volunteers)
main.add_command(import_group)
main.add_command(export_group)
main.add_command(demo_data)
main.add_command(notice_group)
main.add_command(run_due_command)
main.add_command(dispatch_command)
main.add_command(gateways_group)
main.add_command(capacity_command)
main.add_command(checkin_group)
main.add_command(parse_command)
main.add_command(serve)
main.add_command(demo)
main.add_command(operators_group)
main.add_command(audit_command)
main.add_command(report_group)
main.add_command(district_group)
main.add_command(points_command)
main.add_command(tasks_group)
main.add_command(inbox_command)
main.add_command(alerts_command)
export_group.add_command(export_reports)
export_group.add_command(export_messages)
export_group.add_command(export_tasks)
main.add_command(purge_command)
main.add_command(templates_group)
residents.add_command(moved_out_command)
