"""The survey page's "beside the other towns" section: our headline shares beside the
network median and each peer, from the peers' signed feeds, and how each peer's feed fared.
Like the rest of the page it carries no hidden figure: a share not shown is left out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain import N_
from bot.i18n import Translator
from bot.services.network import notices as n
from bot.services.network.compare import Comparison
from bot.services.network.service import PeerStatus
from bot.services.surveys.definition import Survey
from bot.services.surveys.wording import HIDDEN, question_text

# Why a peer's feed was refused, for the coordinators (the log has the detail).
REASONS = {
    "signature": N_("its signature does not match the town's public key"),
    "schema": N_("it does not follow the feed's format"),
    "freshness": N_("it is too old, or dated in the future"),
    "town": N_("it is another town's feed"),
    "unreachable": N_("the town's server could not be reached"),
}


def _town(name: str, share: float | None, **marks: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"name": name, **marks}
    if share is not None:
        item["percent"] = round(share)
    return item


def _reason(tr: Translator, code: str) -> str:
    text = REASONS.get(code)
    return tr.gettext(text) if text else tr.gettext("its feed could not be used")


def _status(tr: Translator, peer: PeerStatus) -> str:
    if peer.last_error is not None:
        return tr.gettext("Latest feed refused: %(reason)s.") % {
            "reason": _reason(tr, peer.last_error)
        }
    if peer.generated_at is not None:
        return tr.gettext("Figures of %(date)s, %(time)s.") % {
            "date": tr.date(peer.generated_at),
            "time": tr.time(peer.generated_at),
        }
    return tr.gettext("No feed received yet.")


def section(
    tr: Translator, survey: Survey, rows: Sequence[Comparison], peers: Sequence[PeerStatus]
) -> dict[str, Any]:
    questions = []
    for row in rows:
        if row.survey != survey.code:
            continue
        towns = [
            _town(n.our_name(tr, row.ours), row.ours.share, ours=True),
            _town(
                tr.ngettext(
                    "Network median (%(count)d town)",
                    "Network median (%(count)d towns)",
                    row.towns_shown,
                )
                % {"count": row.towns_shown},
                row.median,
                median=True,
            ),
            *(_town(peer.name, peer.share) for peer in row.peers),
        ]
        questions.append(
            {
                "code": row.question,
                "title": question_text(tr, survey, row.question),
                "label": n.headline_label(tr, survey, row.question),
                "towns": towns,
            }
        )
    return {
        "title": tr.gettext("Beside the other towns of the network"),
        "note": tr.gettext(
            "Headline shares of the questions asked alike in each town. Each town "
            "publishes only the figures its own privacy rule lets through "
            "(%(hidden)s: not shown)."
        )
        % {"hidden": HIDDEN},
        "questions": questions,
        "peers": [{"code": p.code, "name": p.name, "status": _status(tr, p)} for p in peers],
    }
