"""The `magnet-bot` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging

log = logging.getLogger("magnet-bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="magnet-bot", description="The MAGNET Telegram bot for Celje and Prebold."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot, configured from MAGNET_* variables")
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates by webhook on the HTTP server (MAGNET_WEBHOOK_URL, "
        "MAGNET_WEBHOOK_SECRET, MAGNET_HTTP_PORT) instead of long polling",
    )
    migrate = sub.add_parser("migrate", help="apply the database migrations")
    migrate.add_argument("--revision", default="head", help="target revision (default: head)")
    demo = sub.add_parser("demo", help="play residents against a local emulator; no token needed")
    demo.add_argument("--verbose", action="store_true", help="also print the bot's log")
    demo.add_argument(
        "--serve",
        action="store_true",
        help="keep the emulator and the bot running afterwards and print a dashboard link "
        "for the demo coordinator (Ctrl+C stops)",
    )
    demo.add_argument(
        "--port", type=int, default=0, help="the dashboard's port with --serve (default: any free)"
    )
    emulator = sub.add_parser(
        "emulator",
        help="serve the Bot API emulator (a stand-in for Telegram, for staging checks)",
    )
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8081)
    emulator.add_argument(
        "--token", help="the bot token it accepts (default: MAGNET_BOT_TOKEN, else a demo one)"
    )
    hubs = sub.add_parser("hubs", help="list the hubs or set a hub's street address")
    hubs_sub = hubs.add_subparsers(dest="hubs_command", required=True)
    hubs_sub.add_parser("list")
    address = hubs_sub.add_parser("set-address")
    address.add_argument("code")
    address.add_argument("address")
    profile = sub.add_parser("profile", help="check the town profile, or apply its hubs")
    profile_sub = profile.add_subparsers(dest="profile_command", required=True)
    profile_check = profile_sub.add_parser(
        "check", help="validate a profile (default: MAGNET_PROFILE, else the shipped one)"
    )
    profile_check.add_argument("file", nargs="?")
    profile_sub.add_parser("apply", help="bring the database's hubs in line with the profile")
    labs = sub.add_parser("labs", help="list upcoming labs or import a season's programme")
    labs_sub = labs.add_subparsers(dest="labs_command", required=True)
    labs_sub.add_parser("list")
    importing = labs_sub.add_parser(
        "import", help="publish the labs of a YAML or CSV file: all of them, or none"
    )
    importing.add_argument("file")
    importing.add_argument(
        "--dry-run", action="store_true", help="only check the file; store nothing"
    )
    conversations = sub.add_parser(
        "conversations", help="open a conversation from a YAML or CSV file, list them, export one"
    )
    conversations_sub = conversations.add_subparsers(dest="conversations_command", required=True)
    conversations_sub.add_parser("list")
    opening = conversations_sub.add_parser(
        "open", help="open a conversation: its question and 10-30 statements in sl and en"
    )
    opening.add_argument("file")
    opening.add_argument("--dry-run", action="store_true", help="only check the file")
    exporting = conversations_sub.add_parser(
        "export",
        help="staff's file of one conversation: statements, pseudonymous votes, opinion groups",
    )
    exporting.add_argument("id", type=int, help="the conversation's number (see list)")
    exporting.add_argument("--out", required=True, help="a .zip (CSV files) or .xlsx file")
    surveys = sub.add_parser("surveys", help="check a survey definition or list the shipped ones")
    surveys_sub = surveys.add_subparsers(dest="surveys_command", required=True)
    surveys_check = surveys_sub.add_parser(
        "check",
        help="validate survey definitions (files or directories; by default MAGNET_SURVEYS_DIR "
        "or the shipped ones), roles included; exits non-zero on any problem",
    )
    surveys_check.add_argument("files", nargs="*", metavar="FILE|DIR")
    surveys_sub.add_parser("list")
    tokens = sub.add_parser("tokens", help="staff tokens for the HTTP export endpoints")
    tokens_sub = tokens.add_subparsers(dest="tokens_command", required=True)
    token_create = tokens_sub.add_parser("create", help="make a token (shown once)")
    token_create.add_argument("name", help="who or what uses it, e.g. 'analysis laptop'")
    tokens_sub.add_parser("list")
    token_revoke = tokens_sub.add_parser("revoke")
    token_revoke.add_argument("id", type=int)
    export = sub.add_parser("export", help="write a survey round's answers to a file")
    export.add_argument("--survey", required=True, help="the survey's code, e.g. stay_or_leave")
    export.add_argument("--round", type=int, help="the round's number (default: the latest)")
    export.add_argument("--format", choices=["csv", "xlsx", "json"], default="csv")
    export.add_argument("--out", required=True, help="the file to write")
    export.add_argument(
        "--codebook", help="also write the codebook (what each column holds) to this CSV file"
    )
    ideas = sub.add_parser("ideas", help="export residents' ideas and supports (pseudonymous)")
    ideas_sub = ideas.add_subparsers(dest="ideas_command", required=True)
    ideas_export = ideas_sub.add_parser("export", help="write ideas.csv, supports.csv in a zip")
    ideas_export.add_argument("--out", required=True, help="the .zip file to write")
    stories = sub.add_parser("stories", help="export the published urban stories for Portico")
    stories_sub = stories.add_subparsers(dest="stories_command", required=True)
    stories_export = stories_sub.add_parser(
        "export", help="a zip of JSON, Markdown per story, photos and a README"
    )
    stories_export.add_argument("--out", required=True, help="the .zip file to write")
    network = sub.add_parser("network", help="towns comparing themselves: this town's key")
    network_sub = network.add_subparsers(dest="network_command", required=True)
    keygen = network_sub.add_parser(
        "keygen", help="write this town's Ed25519 key pair and print the public key for peers"
    )
    keygen.add_argument(
        "--out",
        type=Path,
        help="the private key file to write (default: MAGNET_NETWORK_KEY_FILE); keep it "
        "outside any repository",
    )
    i18n = sub.add_parser("i18n", help="translation workflow")
    i18n.add_argument("action", choices=["update", "check", "compile"])
    revision = sub.add_parser("db-revision", help="(developers) autogenerate a migration")
    revision.add_argument("message")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as exc:
        print(f"magnet-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "i18n":
        return _i18n(args.action)
    if args.command == "surveys":
        return _surveys(args)
    if args.command == "network":
        return _keygen(args.out)
    if args.command == "profile" and args.profile_command == "check":
        return _profile_check(args.file)
    if args.command == "emulator":
        setup_logging("INFO")
        return asyncio.run(_emulator(args))
    if args.command == "demo":
        from bot.demo import run_demo

        setup_logging("INFO" if args.verbose else "ERROR")
        return asyncio.run(run_demo(serve=args.serve, port=args.port))
    settings = load_settings()
    secrets = [settings.bot_token.get_secret_value()] if settings.bot_token else []
    setup_logging(settings.log_level, secrets, settings.log_format)
    if args.command == "run":
        return asyncio.run(_run(settings, args.webhook))
    if args.command == "migrate":
        return asyncio.run(_migrate(settings, args.revision))
    if args.command == "hubs":
        return asyncio.run(_hubs(settings, args))
    if args.command == "profile":
        return asyncio.run(_profile_apply(settings))
    if args.command == "tokens":
        return asyncio.run(_tokens(settings, args))
    if args.command == "labs":
        return asyncio.run(_labs(settings, args))
    if args.command == "conversations":
        return asyncio.run(_conversations(settings, args))
    if args.command == "export":
        return asyncio.run(_export(settings, args))
    if args.command == "ideas":
        return asyncio.run(_ideas(settings, args))
    if args.command == "stories":
        return asyncio.run(_stories(settings, args))
    if args.command == "db-revision":
        return asyncio.run(_revision(settings, args.message))
    raise AssertionError(args.command)


async def _run(settings: Settings, webhook: bool = False) -> int:
    from bot.runtime import BotRuntime

    settings.token()  # fail early and clearly without a token
    await BotRuntime(settings, webhook=webhook).run_until_signalled()
    return 0


async def _emulator(args: argparse.Namespace) -> int:
    import os
    import signal

    from bot.emulator import BotAPIEmulator

    token = args.token or os.environ.get("MAGNET_BOT_TOKEN") or "123456:EMULATOR-TOKEN"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    emulator = await BotAPIEmulator(token).start(args.host, args.port)
    try:
        print(f"Bot API emulator: MAGNET_BOT_API_URL={emulator.base_url}", flush=True)
        await stop.wait()
    finally:
        await emulator.stop()
    return 0


async def _migrate(settings: Settings, revision: str) -> int:
    from storage import migrate
    from storage.db import create_engine

    engine = create_engine(settings.database_url)
    try:
        before = await migrate.current_revision(engine)
        await migrate.upgrade(engine, revision)
        after = await migrate.current_revision(engine)
        drift = await _hub_drift(settings, engine) if await migrate.is_current(engine) else None
    finally:
        await engine.dispose()
    print(f"database at revision {after} (was {before or 'empty'})")
    if drift:
        print(drift)
    return 0


async def _hub_drift(settings: Settings, engine) -> str | None:  # type: ignore[no-untyped-def]
    """The line saying how the database's hubs differ from the profile, or None."""
    from bot.services.hubs import HubService, report_differences
    from storage.db import create_sessionmaker

    hubs = HubService(create_sessionmaker(engine))
    return report_differences(await hubs.differences(settings.town()))


async def _profile_drift(path: Path | None) -> str | None:
    """For `profile check`: the hubs' drift in the configured database, when it can be read
    (a database not migrated yet, or no settings to reach it, is no problem of the profile)."""
    from storage import migrate
    from storage.db import create_engine

    if not os.environ.get("MAGNET_DATABASE_URL"):  # never a new SQLite file made by a check
        return None
    try:
        settings = load_settings(**({"profile": path} if path else {}))
    except ConfigError:
        return None
    engine = create_engine(settings.database_url)
    try:
        if not await migrate.is_current(engine):
            return None
        return await _hub_drift(settings, engine)
    except Exception:  # an unreachable database: the check is of the file
        return None
    finally:
        await engine.dispose()


async def _hubs(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import open_services

    services = await open_services(settings)
    try:
        if args.hubs_command == "set-address" and not await services.hubs.set_address(
            args.code, args.address
        ):
            print(f"no hub with code {args.code!r}", file=sys.stderr)
            return 1
        for hub in await services.hubs.list_hubs():
            print(f"{hub.code:10} {hub.name_sl:20} {hub.address}")
    finally:
        await services.engine.dispose()
    return 0


def _profile_check(file: str | None) -> int:
    from bot.profile_check import profile_problems

    path = Path(file) if file else (Path(p) if (p := os.environ.get("MAGNET_PROFILE")) else None)
    problems, notes = profile_problems(path)
    where = str(path) if path else "the shipped profile"
    for line in problems:
        print(line)
    for line in notes:
        print(f"note: {line}")
    if problems:
        print(f"{where}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    drift = asyncio.run(_profile_drift(path))
    if drift:
        print(f"note: {drift}")
    print(f"{where}: ok")
    return 0


async def _profile_apply(settings: Settings) -> int:
    from bot.app import open_services

    services = await open_services(settings)
    try:
        changes = await services.hubs.apply(settings.town(), f"cli:{getpass.getuser()}")
    finally:
        await services.engine.dispose()
    for line in changes or ["the hubs already match the profile"]:
        print(line)
    return 0


async def _labs(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.app import open_services
    from bot.services.labs.programme import ProgrammeFileError, read_programme
    from bot.services.labs.wording import input_text

    rows: list[dict[str, object]] = []
    if args.labs_command == "import":
        try:
            rows = read_programme(Path(args.file))
        except ProgrammeFileError as exc:
            print(f"magnet-bot: {exc}", file=sys.stderr)
            return 1
    services = await open_services(settings)
    try:
        if args.labs_command == "list":
            tr = services.i18n.get("en")
            for lab in await services.labs.upcoming(limit=1000):
                assert lab.starts_at is not None
                seats = "open" if lab.capacity is None else f"{lab.seats_taken}/{lab.capacity}"
                print(
                    f"{lab.id:5} {tr.datetime(lab.starts_at, 'yyyy-MM-dd HH:mm')}  "
                    f"{lab.hub_code:8} {seats:>7}  {lab.title_sl}"
                )
            return 0
        ids, problems = await services.lab_admin.import_rows(
            rows, actor=None, locale=settings.locale, dry_run=args.dry_run
        )
        tr = services.i18n.get("en")
        for problem in problems:
            print(
                f"row {problem.row}, {problem.field}: {input_text(tr, problem.error)}",
                file=sys.stderr,
            )
        if problems:
            print(f"nothing imported: {len(problems)} problem(s) in {args.file}", file=sys.stderr)
            return 1
        if args.dry_run:
            print(f"{len(rows)} lab(s) checked, nothing stored (--dry-run)")
        else:
            print(f"imported {len(ids)} lab(s): {', '.join(map(str, ids))}")
        return 0
    finally:
        await services.engine.dispose()


async def _conversations(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.app import open_services
    from bot.services.conversations.seeds import SeedError, parse_seed

    if args.conversations_command == "export":
        return await _conversation_export(settings, args)
    seed = None
    if args.conversations_command == "open":
        path = Path(args.file)
        try:
            seed = parse_seed(path.name, await asyncio.to_thread(path.read_bytes))
        except OSError as exc:
            print(f"magnet-bot: cannot read {path.name}: {exc.strerror}", file=sys.stderr)
            return 1
        except SeedError as exc:
            for problem in exc.problems:
                print(f"{path.name}: {problem.english()}", file=sys.stderr)
            print(f"nothing opened: {len(exc.problems)} problem(s)", file=sys.stderr)
            return 1
        if args.dry_run:
            print(f"{len(seed.statements)} statement(s) checked, nothing stored (--dry-run)")
            return 0
    services = await open_services(settings)
    try:
        if seed is not None:
            view = await services.conversations.open(None, seed)
            print(
                f"opened conversation {view.id} with {view.statements} statement(s); "
                "invite residents with /conversations in Telegram"
            )
            return 0
        for view in await services.conversations.states():
            print(
                f"{view.id:5} {view.status.value:6} voters {view.voters:5} "
                f"statements {view.statements:3} pending {view.pending:3}  {view.question.en}"
            )
        return 0
    finally:
        await services.engine.dispose()


async def _export(settings: Settings, args: argparse.Namespace) -> int:
    """Staff's third route to the answers, beside Telegram and HTTP: audit-logged the same."""
    import getpass
    import shutil
    from pathlib import Path

    from bot.app import open_services
    from bot.services.exports import ExportError

    services = await open_services(settings)
    try:
        try:
            plan = await services.exports.plan(args.survey, args.round)
        except ExportError as exc:
            print(f"magnet-bot: nothing to export: {exc}", file=sys.stderr)
            return 1
        out = Path(args.out)
        if args.format == "xlsx":
            path = await services.exports.xlsx_file(plan, directory=out.parent)
            shutil.move(path, out)
        else:
            chunks = (
                services.exports.csv_chunks(plan)
                if args.format == "csv"
                else services.exports.json_chunks(plan)
            )
            handle = await asyncio.to_thread(out.open, "wb")
            try:
                async for chunk in chunks:
                    await asyncio.to_thread(handle.write, chunk)
            finally:
                await asyncio.to_thread(handle.close)
        if args.codebook:
            codebook = services.exports.codebook_csv(plan)
            await asyncio.to_thread(Path(args.codebook).write_bytes, codebook)
        await services.exports.record(
            plan, args.format, "cli", actor=None, who=f"cli:{getpass.getuser()}"
        )
        print(f"round {plan.round_number} of {plan.survey_code} written to {out}")
        return 0
    finally:
        await services.engine.dispose()


async def _conversation_export(settings: Settings, args: argparse.Namespace) -> int:
    """One conversation for staff, audit-logged as exports are; the format from --out."""
    import getpass
    from pathlib import Path

    from bot.app import open_services
    from bot.services.conversations.types import ConversationError

    out = Path(args.out)
    fmt = {".zip": "csv", ".xlsx": "xlsx"}.get(out.suffix.lower())
    if fmt is None:
        print("magnet-bot: --out must end in .zip (CSV files) or .xlsx", file=sys.stderr)
        return 2
    services = await open_services(settings)
    try:
        try:
            found = await services.conversations.export(
                args.id, fmt, route="cli", who=f"cli:{getpass.getuser()}", actor=None
            )
        except ConversationError:
            print(f"magnet-bot: there is no conversation {args.id}", file=sys.stderr)
            return 1
        await asyncio.to_thread(out.write_bytes, found.body)
        print(f"conversation {args.id} ({found.voters} voters) written to {out}")
        return 0
    finally:
        await services.engine.dispose()


async def _ideas(settings: Settings, args: argparse.Namespace) -> int:
    """Ideas and supports for staff, audit-logged as exports are."""
    import getpass
    from pathlib import Path

    from bot.app import open_services

    services = await open_services(settings)
    try:
        body = await services.exports.ideas_zip("cli", who=f"cli:{getpass.getuser()}")
        await asyncio.to_thread(Path(args.out).write_bytes, body)
        print(f"ideas and supports written to {args.out}")
        return 0
    finally:
        await services.engine.dispose()


async def _stories(settings: Settings, args: argparse.Namespace) -> int:
    """The Portico bundle; photos are fetched from Telegram when a token is configured."""
    import getpass
    from pathlib import Path

    from telegram import Bot
    from telegram.error import TelegramError

    from bot.app import file_url_for, open_services
    from bot.services.stories.export import stories_zip

    services = await open_services(settings)
    bot = None
    if settings.bot_token is not None:
        bot = Bot(
            settings.token(),
            base_url=settings.bot_api_url,
            base_file_url=file_url_for(settings.bot_api_url),
        )

    async def fetch(file_id: str) -> bytes | None:
        assert bot is not None
        try:
            return bytes(await (await bot.get_file(file_id)).download_as_bytearray())
        except TelegramError as exc:
            log.warning("a story's photo could not be fetched: %s", exc)
            return None

    try:
        if bot is not None:
            await bot.initialize()
        body, count = await stories_zip(
            services.sessions,
            fetch if bot is not None else None,
            route="cli",
            who=f"cli:{getpass.getuser()}",
        )
        await asyncio.to_thread(Path(args.out).write_bytes, body)
        print(f"{count} stories written to {args.out}")
        return 0
    finally:
        if bot is not None:
            await bot.shutdown()
        await services.engine.dispose()


async def _tokens(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import open_services

    services = await open_services(settings)
    try:
        if args.tokens_command == "create":
            token_id, token = await services.tokens.create(args.name)
            print(f"token {token_id} for {args.name!r} (shown only now; keep it secret):")
            print(token)
            return 0
        if args.tokens_command == "revoke":
            if not await services.tokens.revoke(args.id):
                print(f"no active token {args.id}", file=sys.stderr)
                return 1
            print(f"token {args.id} revoked")
            return 0
        for token in await services.tokens.list():
            state = "revoked" if token.revoked_at else "active"
            used = (
                token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "never"
            )
            print(f"{token.id:4} {state:8} last used {used:25} {token.name}")
        return 0
    finally:
        await services.engine.dispose()


async def _revision(settings: Settings, message: str) -> int:
    from storage import migrate
    from storage.db import create_engine

    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        await migrate.autogenerate(engine, message)
    finally:
        await engine.dispose()
    return 0


def _surveys(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.services.surveys.definition import CONTENT_DIR, definition_files, load_file

    configured = load_settings().surveys_dir or CONTENT_DIR
    if args.surveys_command == "list":
        for path in definition_files(configured):
            survey, problems = load_file(path)
            if survey is None:
                print(f"{path.name}: {len(problems)} problem(s)")
                continue
            print(f"{survey.code}: {len(survey.ordered)} questions, {survey.checksum()[:12]}")
        return 0
    failed = 0
    codes: dict[str, str] = {}
    for name in args.files or [str(configured)]:
        given = Path(name)
        paths = definition_files(given) if given.is_dir() else [given]
        if given.is_dir() and not paths:
            print(f"{given}: no survey definitions (*.yaml)")
            failed += 1
        for path in paths:
            survey, problems = load_file(path)
            lines = [f"{path.name}: {problem}" for problem in problems]
            if survey is not None and survey.code in codes:
                lines.append(
                    f"{path.name}: survey code {survey.code!r} is also {codes[survey.code]}"
                )
            for line in lines:
                print(line)
            if lines:
                failed += 1
            elif survey is not None:
                codes[survey.code] = path.name
                roles = sum(1 for q in survey.ordered if q.report is not None)
                print(
                    f"{path.name}: ok ({len(survey.ordered)} questions in "
                    f"{len(survey.sections)} sections, {roles} with a report role)"
                )
    return 1 if failed else 0


def _keygen(out: Path | None) -> int:
    """Before the settings are read: they would refuse the key file that is not there yet."""
    from bot.services.network.keys import KeyProblem, generate, key_id, parse_public

    path = out or (
        Path(os.environ["MAGNET_NETWORK_KEY_FILE"])
        if os.environ.get("MAGNET_NETWORK_KEY_FILE")
        else None
    )
    if path is None:
        raise ConfigError("say where to write the key: --out FILE or MAGNET_NETWORK_KEY_FILE")
    try:
        public = generate(path)
    except KeyProblem as exc:
        raise ConfigError(str(exc)) from None
    print(f"private key written to {path} (mode 0600; keep it secret and out of any repo)")
    print(f"public key (key id {key_id(parse_public(public))}), for the peers' files:")
    print(public)
    return 0


def _i18n(action: str) -> int:
    from bot import i18n_tools

    if action == "update":
        for locale, missing in i18n_tools.update_catalogs().items():
            print(f"{locale}: {missing} untranslated")
        return 0
    if action == "check":
        problems = i18n_tools.check_catalogs()
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    for path in i18n_tools.compile_catalogs():
        print(f"compiled {path.name} for {path.parent.parent.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
