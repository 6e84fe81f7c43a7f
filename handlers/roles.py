"""/grant, /revoke, /roles (/dodeli, /odvzemi, /vloge): admins manage coordinator and staff roles."""

from __future__ import annotations

from telegram import Update

from bot.context import MagnetContext
from bot.domain import Role
from bot.i18n import Translator
from bot.numbers import TELEGRAM_ID_MAX, parse_int
from bot.services.roles import RoleChange, parse_role
from handlers import screens
from handlers.common import command, escape, requires_role, send
from handlers.dashboard import close_dashboard_menu
from handlers.menu import set_chat_menu


def role_name(tr: Translator, role: Role) -> str:
    return {
        Role.COORDINATOR: tr.gettext("coordinator"),
        # TRANSLATORS: Role name, inserted into "Done: %(id)s is now %(role)s." and similar. A noun for
        # one person (sl "uslužbenec", not the collective "osebje").
        Role.STAFF: tr.gettext("staff"),
        Role.ADMIN: tr.gettext("administrator"),
        Role.RESIDENT: tr.gettext("resident"),
    }[role]


def _parse(context: MagnetContext) -> tuple[int, Role] | None:
    args = context.args or []
    target = parse_int(args[0], -TELEGRAM_ID_MAX, TELEGRAM_ID_MAX) if len(args) == 2 else None
    role = parse_role(args[1]) if target is not None else None
    return (target, role) if target is not None and role else None


async def _usage(update: Update, context: MagnetContext, command: str) -> None:
    tr = context.tr
    text = tr.gettext(
        "Usage: %(command)s <Telegram ID> <role>, where the role is %(coordinator)s or %(staff)s."
    ) % {
        "command": screens.command(tr, command),
        "coordinator": role_name(tr, Role.COORDINATOR),  # parse_role takes both languages
        "staff": role_name(tr, Role.STAFF),
    }
    await send(update, escape(text))


async def _change(update: Update, context: MagnetContext, name: str) -> None:
    """/grant and /revoke: change the role, tell the admin, and set the person's menu at once."""
    parsed = _parse(context)
    if parsed is None:
        await _usage(update, context, name)
        return
    target, role = parsed
    tr, services = context.tr, context.services
    values = {"id": target, "role": role_name(tr, role)}
    if name == "grant":
        changed = await services.roles.grant(context.me.telegram_id, target, role)
        done = changed == RoleChange.GRANTED
        text = (
            tr.gettext("Done: %(id)s is now %(role)s.")
            if done
            else tr.gettext("%(id)s already has the %(role)s role.")
        )
    else:
        changed = await services.roles.revoke(context.me.telegram_id, target, role)
        done = changed == RoleChange.REVOKED
        text = (
            tr.gettext("Done: %(id)s is no longer %(role)s.")
            if done
            else tr.gettext("%(id)s does not have the %(role)s role.")
        )
    await send(update, escape(text % values))
    person = await services.residents.get(target) if done else None
    if person is not None:  # someone who never opened the chat gets their menu at /start
        locale = services.i18n.resolve(person.locale, person.language_code).locale
        await set_chat_menu(context.bot, services.i18n, target, locale, person.roles)
        if name == "revoke" and not person.roles:
            await close_dashboard_menu(context.bot, target)


@requires_role(Role.ADMIN)
async def grant_role(update: Update, context: MagnetContext) -> None:
    await _change(update, context, "grant")


@requires_role(Role.ADMIN)
async def revoke_role(update: Update, context: MagnetContext) -> None:
    await _change(update, context, "revoke")


@requires_role(Role.ADMIN)
async def list_roles(update: Update, context: MagnetContext) -> None:
    tr = context.tr
    grants = await context.services.roles.list_grants()
    admins = sorted(context.services.settings.admin_ids)
    header = tr.ngettext(
        "%(count)d person has a role:",
        "%(count)d people have a role:",
        len(grants),
    ) % {"count": len(grants)}
    lines = [f"<b>{escape(header)}</b>"]
    for grant in grants:
        since = tr.gettext("since %(date)s") % {"date": tr.date(grant.granted_at, "medium")}
        lines.append(escape(f"• {grant.telegram_id}: {role_name(tr, grant.role)} ({since})"))
    admin_line = tr.gettext("Administrators (from the configuration): %(ids)s") % {
        "ids": ", ".join(str(a) for a in admins) or "—"
    }
    lines += ["", escape(admin_line)]
    await send(update, "\n".join(lines))


HANDLERS = [
    command("grant", grant_role),
    command("revoke", revoke_role),
    command("roles", list_roles),
]
