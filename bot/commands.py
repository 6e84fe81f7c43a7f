"""Every command in one table: its Slovenian alias, who sees it, its menu line and its help line.

The menus (`handlers/menu.py`), /help, the registration of handlers and the notices that name a
command all read this table, so a new command is added here once and given a callback in its
feature's HANDLERS (`handlers.common.command`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import N_, Role


@dataclass(frozen=True)
class Command:
    name: str  # English, as Telegram shows it to English clients
    alias: str  # Slovenian
    menu: str  # msgid of the short line in Telegram's command menu
    help: str  # msgid of the longer line in /help
    role: Role | None = None  # None: every resident
    also: Role | None = None  # a second role that may use it


COMMANDS: tuple[Command, ...] = (
    Command(
        "start",
        "start",
        N_("Start or return to the main menu"),
        N_("start, or come back to the main menu"),
    ),
    Command(
        "survey",
        "anketa",
        N_("Stay or leave? The residents' survey"),
        N_("the survey on why people stay, leave or come back"),
    ),
    Command(
        "conversation",
        "pogovor",
        N_("What do we agree on? Vote on statements"),
        N_("vote on short statements about the town and add your own"),
    ),
    Command(
        "labs",
        "delavnice",
        N_("Upcoming labs and events"),
        N_("upcoming labs and events: sign up, join the waitlist"),
    ),
    Command(
        "mylabs",
        "moje_delavnice",
        N_("Your sign-ups"),
        N_("your sign-ups, waitlist places and past labs"),
    ),
    Command(
        "idea",
        "ideja",
        N_("Share an idea for your town"),
        N_("write an idea for your town; the coordinators read every one"),
    ),
    Command(
        "ideas",
        "ideje",
        N_("Residents' ideas: read and support"),
        N_("residents' published ideas by theme: support the ones you like"),
    ),
    Command(
        "stories",
        "zgodbe",
        N_("Urban stories from the towns"),
        N_("urban stories from the network, and telling your own"),
    ),
    Command(
        "story",
        "zgodba",
        N_("Tell an urban story"),
        N_("write an urban story; coordinators publish it to residents who follow its theme"),
    ),
    Command(
        "settings",
        "nastavitve",
        N_("Your profile, topics and consent"),
        N_("change where you live, your age group, status and topics, or withdraw consent"),
    ),
    Command(
        "mydata",
        "moji_podatki",
        N_("Everything stored about you"),
        N_("everything the bot stores about you, as a file"),
    ),
    Command(
        "forget",
        "pozabi",
        N_("Erase everything about you"),
        N_("erase everything the bot stores about you"),
    ),
    Command(
        "language",
        "jezik",
        N_("Slovenščina / English"),
        N_("switch between Slovenian and English"),
    ),
    Command("help", "pomoc", N_("What this bot can do"), N_("this message")),
    Command(
        "announce",
        "obvesti",
        N_("Compose an announcement"),
        N_("compose an announcement, preview it, send it or schedule it"),
        Role.COORDINATOR,
    ),
    Command(
        "announcements",
        "obvestila",
        N_("Scheduled and running announcements"),
        N_("see scheduled and running announcements, cancel them"),
        Role.COORDINATOR,
    ),
    Command(
        "surveys",
        "ankete",
        N_("Survey rounds and responses"),
        N_("survey rounds: open, close, invite residents, responses"),
        Role.COORDINATOR,
    ),
    Command(
        "conversations",
        "pogovori",
        N_("Conversations: voters, groups, close"),
        N_("conversations: invite residents, see the opinion groups, close and send the results"),
        Role.COORDINATOR,
    ),
    Command(
        "digest",
        "povzetek",
        N_("Survey results for decisions"),
        N_("survey results by place, age, trend and reasons; the digest to the channel"),
        Role.COORDINATOR,
    ),
    Command(
        "newlab",
        "nova_delavnica",
        N_("Create a lab or hub event"),
        N_("create a lab or hub event step by step, then publish it"),
        Role.COORDINATOR,
    ),
    Command(
        "roster",
        "udelezenci",
        N_("Who is coming to a lab"),
        N_("who is coming to a lab, with a CSV of the roster"),
        Role.COORDINATOR,
    ),
    Command(
        "checkin",
        "prihod",
        N_("Check a resident in at a lab"),
        N_("check a resident in with their code"),
        Role.COORDINATOR,
    ),
    Command(
        "dashboard",
        "nadzorna_plosca",
        N_("The dashboard: survey, labs, announcements"),
        N_("the dashboard: survey figures, labs and announcements at a glance"),
        Role.COORDINATOR,
        also=Role.STAFF,
    ),
    Command(
        "export",
        "izvoz",
        N_("Export survey answers (CSV, XLSX, codebook)"),
        N_("survey answers of a round as CSV and XLSX, with a codebook"),
        Role.STAFF,
    ),
    Command(
        "grant",
        "dodeli",
        N_("Give someone a role"),
        N_("give someone the coordinator or staff role"),
        Role.ADMIN,
    ),
    Command("revoke", "odvzemi", N_("Take a role away"), N_("take a role away"), Role.ADMIN),
    Command("roles", "vloge", N_("Who has which role"), N_("list who has which role"), Role.ADMIN),
)
BY_NAME = {c.name: c for c in COMMANDS}


def command_name(name: str, locale: str) -> str:
    """The spelling a resident of this locale sees (and may type)."""
    return BY_NAME[name].alias if locale == "sl" else name


def slash(name: str, locale: str) -> str:
    return "/" + command_name(name, locale)


def names(name: str) -> list[str]:
    """Both spellings, for CommandHandler."""
    return sorted({name, BY_NAME[name].alias})
