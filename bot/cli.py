"""The `firegrid` command: run, web, worker, check-config, db upgrade|backup|current|check, demo.

Exit codes (also in the README): 0 done; 1 an unexpected error (a traceback: a bug to report);
2 a configuration mistake, one line naming the key or file (also a 409 Conflict while polling);
3 another firegrid already runs on this SQLite database; 4 the Bot API cannot be reached at
start; 5 `firegrid db check` found a problem or `firegrid db backup` could not make the backup.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.settings import ConfigError, load_settings
from services.bulletin.config import check_bulletin_against_forms, check_bulletin_template
from services.forms.config import load_org_forms
from services.orgconfig import OrgFileError, load_org


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="firegrid", description="FireGrid 消防网格哨")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot (long polling, or webhook with FIREGRID_WEBHOOK_URL)")
    add_role_commands(sub)
    check = sub.add_parser("check-config", help="validate an org file and print a summary")
    check.add_argument("path", nargs="?", help="org file (default: FIREGRID_ORG)")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument(
        "action",
        choices=["upgrade", "backup", "current", "check"],
        help="upgrade the schema; backup FILE; print the schema revision; check the database",
    )
    db.add_argument("file", nargs="?", help="backup: the file to write")
    demo = sub.add_parser("demo", help="run a simulated month with no token (writes ./demo-output)")
    demo.add_argument("--out", default="demo-output", help="folder for the transcript and files")
    args = parser.parse_args(argv)
    try:
        if args.command == "check-config":
            return check_config(args.path)
        if args.command == "db":
            return db_command(args.action, args.file, parser)
        if args.command == "demo":
            from sim.demo import main as demo_main

            return demo_main(args.out)
        if args.command == "run":
            from bot.run import run

            return run()
        if args.command in ROLE_COMMANDS:
            return run_role(args.command)
    except (ConfigError, OrgFileError) as exc:
        print(f"firegrid: {exc}", file=sys.stderr)
        return 2
    parser.error(f"unknown command {args.command}")
    return 2


ROLE_COMMANDS = {
    "web": "receive and handle updates only (PostgreSQL; any number beside workers)",
    "worker": "tick and deliver the outbox only (PostgreSQL; any number beside web processes)",
}


def add_role_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`firegrid web` and `firegrid worker`: parts of `run`, for several processes."""
    for name, text in ROLE_COMMANDS.items():
        sub.add_parser(name, help=text)


def run_role(name: str) -> int:
    from bot.roles import Role
    from bot.run import run

    return run(Role(name))


def check_config(path: str | None) -> int:
    """Everything the bot loads at start (org file, forms file, bulletin) before saying OK."""
    file = Path(path) if path else load_settings().firegrid_org
    org = load_org(file)
    forms = load_org_forms(org, file)
    check_bulletin_against_forms(org, forms, str(file))
    check_bulletin_template(org, file.resolve().parent, str(file))
    routed = sum(1 for c in org.categories if c.routes)
    print(f"{file}: OK")
    print(f"  office: {org.office.name} (case numbers {org.office.case_prefix}-YYYY-NNNN)")
    print(f"  departments: {len(org.departments)}")
    for dept in org.departments:
        parent = f" (under {dept.parent})" if dept.parent else ""
        print(f"    {dept.key:<28} {dept.name} [{dept.kind}]{parent}")
    print(f"  areas: {len(org.areas)}")
    print(f"  hazard categories: {len(org.categories)} ({routed} routed, the rest to triage)")
    print(f"  ladders: {', '.join(org.ladders)}")
    print(f"  reminder rules: {len(org.reminders)}")
    print(f"  report forms: {len(forms.forms)} ({', '.join(f.key for f in forms.forms)})")
    bulletin = org.bulletin
    print(
        f"  bulletin: last workday {bulletin.deliver_at:%H:%M}, {len(bulletin.duties)} duties, "
        f"约谈 when {bulletin.talk.describe() or 'never'}"
    )
    return 0


def db_command(action: str, file: str | None, parser: argparse.ArgumentParser) -> int:
    """The `db` subcommands; each checks DATABASE_URL first (one line, exit 2, when wrong)."""
    if action == "upgrade":
        return db_upgrade()
    from bot import dbtools

    url = load_settings().database_url
    if action == "backup":
        if not file:
            parser.error("firegrid db backup needs a file: firegrid db backup backup/firegrid.db")
        return dbtools.backup(url, Path(file))
    if action == "current":
        return dbtools.current(url)
    return dbtools.check(url)


def db_upgrade() -> int:
    from bot.db import upgrade_sync
    from bot.dbcheck import check_database

    settings = load_settings()
    check_database(settings.database_url)
    upgrade_sync(settings.database_url)
    print("database schema is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
