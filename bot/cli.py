"""The `firegrid` command: run, check-config, db upgrade, demo."""

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
    sub.add_parser("run", help="run the bot (long polling)")
    check = sub.add_parser("check-config", help="validate an org file and print a summary")
    check.add_argument("path", nargs="?", help="org file (default: FIREGRID_ORG)")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    demo = sub.add_parser("demo", help="run a simulated month with no token (writes ./demo-output)")
    demo.add_argument("--out", default="demo-output", help="folder for the transcript and files")
    args = parser.parse_args(argv)
    try:
        if args.command == "check-config":
            return check_config(args.path)
        if args.command == "db":
            return db_upgrade()
        if args.command == "demo":
            from sim.demo import main as demo_main

            return demo_main(args.out)
        if args.command == "run":
            from bot.run import run

            return run()
    except (ConfigError, OrgFileError) as exc:
        print(f"firegrid: {exc}", file=sys.stderr)
        return 2
    parser.error(f"unknown command {args.command}")
    return 2


def check_config(path: str | None) -> int:
    file = Path(path) if path else load_settings().firegrid_org
    org = load_org(file)
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
    forms = load_org_forms(org, file)
    print(f"  report forms: {len(forms.forms)} ({', '.join(f.key for f in forms.forms)})")
    check_bulletin_against_forms(org, forms, str(file))
    check_bulletin_template(org, file.resolve().parent, str(file))
    bulletin = org.bulletin
    print(
        f"  bulletin: last workday {bulletin.deliver_at:%H:%M}, {len(bulletin.duties)} duties, "
        f"约谈 when {bulletin.talk.describe() or 'never'}"
    )
    return 0


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
