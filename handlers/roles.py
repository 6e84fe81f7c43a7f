"""/grant, /revoke, /roles (/dodeli, /odvzemi, /vloge): admins manage coordinator and staff roles."""

from __future__ import annotations

from telegram import Update

from bot.context import MagnetContext
from bot.domain import Role
from bot.i18n import Translator
from bot.services.roles import RoleChange, parse_role
from handlers import screens
from handlers.common import command, escape, requires_role, send


def role_name(tr: Translator, role: Role) -> str:
    return {
        Role.COORDINATOR: tr.gettext("coordinator"),
        Role.STAFF: tr.gettext("staff"),
        Role.ADMIN: tr.gettext("administrator"),
        Role.RESIDENT: tr.gettext("resident"),
    }[role]


def _parse(context: MagnetContext) -> tuple[int, Role] | None:
    args = context.args or []
    if len(args) != 2 or not args[0].lstrip("-").isdigit():
        return None
    role = parse_role(args[1])
    return (int(args[0]), role) if role else None


async def _usage(update: Update, context: MagnetContext, command: str) -> None:
    tr = context.tr
    text = tr.gettext(
        "Usage: %(command)s <Telegram ID> <role>, where the role is %(coordinator)s or %(staff)s."
    ) % {
        "command": screens.command(tr, command),
        "coordinator": "coordinator",
        "staff": "staff",
    }
    await send(update, escape(text))


@requires_role(Role.ADMIN)
async def grant_role(update: Update, context: MagnetContext) -> None:
    parsed = _parse(context)
    if parsed is None:
        await _usage(update, context, "grant")
        return
    target, role = parsed
    actor = context.resident.telegram_id if context.resident else 0
    change = await context.services.roles.grant(actor, target, role)
    tr = context.tr
    values = {"id": target, "role": role_name(tr, role)}
    if change == RoleChange.GRANTED:
        text = tr.gettext("Done: %(id)s is now %(role)s.") % values
    else:
        text = tr.gettext("%(id)s already has the %(role)s role.") % values
    await send(update, escape(text))


@requires_role(Role.ADMIN)
async def revoke_role(update: Update, context: MagnetContext) -> None:
    parsed = _parse(context)
    if parsed is None:
        await _usage(update, context, "revoke")
        return
    target, role = parsed
    actor = context.resident.telegram_id if context.resident else 0
    change = await context.services.roles.revoke(actor, target, role)
    tr = context.tr
    values = {"id": target, "role": role_name(tr, role)}
    if change == RoleChange.REVOKED:
        text = tr.gettext("Done: %(id)s is no longer %(role)s.") % values
    else:
        text = tr.gettext("%(id)s does not have the %(role)s role.") % values
    await send(update, escape(text))


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
