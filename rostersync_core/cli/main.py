"""``rostersync``: the command line, a thin layer over the Python API."""

from __future__ import annotations

import importlib
import logging
import sys

import click

from rostersync_core.cli.common import AppContext, err_console
from rostersync_core.errors import RostersyncError

#: Modules that each define ``COMMANDS``: a list of click commands or groups.
COMMAND_MODULES = (
    "rostersync_core.cli.connectors_cmd",
    "rostersync_core.cli.setup_cmd",
    "rostersync_core.cli.mapping_cmd",
    "rostersync_core.cli.match_cmd",
    "rostersync_core.cli.exclude_cmd",
    "rostersync_core.cli.platform_cmd",
    "rostersync_core.cli.settings_cmd",
    "rostersync_core.cli.sync_cmd",
    "rostersync_core.cli.demo_cmd",
    "rostersync_core.cli.schedule_cmd",
    "rostersync_core.cli.new_connector_cmd",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db_url",
    envvar="ROSTERSYNC_DB",
    metavar="URL",
    help="State database URL (sqlite:///path or postgresql+psycopg://...). "
    "Default: $ROSTERSYNC_DB, else ~/.rostersync/state.db.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (never secrets).")
@click.version_option(package_name="rostersync-core")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None, verbose: bool) -> None:
    """Keep a learning platform's roster in step with a school's SIS."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = AppContext(db_url=db_url)


for _module in COMMAND_MODULES:
    for _command in importlib.import_module(_module).COMMANDS:
        cli.add_command(_command)


def main() -> None:
    """Console entry point: errors become one readable line and exit status 1."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except RostersyncError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        # A bug, not bad input. Its message may quote data (a value from the SIS), so it is
        # shown only with -v, where the whole traceback goes to the log.
        if logging.getLogger().isEnabledFor(logging.INFO):
            logging.getLogger("rostersync").exception("internal error")
        err_console.print(
            f"[bold red]internal error:[/] {type(exc).__name__} "
            "(a bug in rostersync or a plugin; run again with -v for the details, "
            "and please report it)",
            highlight=False,
        )
        sys.exit(2)
