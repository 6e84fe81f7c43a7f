"""The decision views computed from a round's responses: key questions overall and by group,
the change since the previous round, reasons among those they concern, the sample beside the
population. Every figure goes through `bot.services.surveys.protect`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from bot.services.surveys import change as changes
from bot.services.surveys.definition import Condition, Kind, ProfileField, Question, Survey
from bot.services.surveys.population import Population
from bot.services.surveys.protect import dominated, protect_table, suppress
from bot.services.surveys.view_types import (
    HEADLINE,
    REST,
    TOP_REASONS,
    Breakdown,
    Change,
    Column,
    CompositionRow,
    Distribution,
    Grouping,
    Groups,
    Headline,
    KeyFigure,
    Reasons,
    ViewError,
    Weighted,
)
from storage.repositories.digests import Answered


def filtered(
    responses: list[Answered],
    filters: tuple[tuple[ProfileField, tuple[str | None, ...]], ...],
    k: int,
    grouping: Grouping | None = None,
) -> list[Answered]:
    """The respondents of the chosen groups. Refused when those left out are fewer than k,
    and when the group's own size is hidden in its field's breakdown: otherwise two filters
    and the total would give away a group under k (16 + 15 of 34 leave 3)."""
    wanted = [(_ATTRIBUTE[f], set(v)) for f, v in filters]
    kept = [r for r in responses if all(getattr(r, a) in v for a, v in wanted)]
    left_out = len(responses) - len(kept)
    if 0 < left_out < k:
        raise ViewError(f"the filter leaves out {left_out} respondents, fewer than {k}")
    for field, codes in filters if grouping is not None else ():
        groups = grouping.get(field, ())  # type: ignore[union-attr]
        attribute = _ATTRIBUTE[field]
        given = Counter(getattr(r, attribute) for r in responses)
        counts = {code: sum(given[m] for m in members) for code, members in groups}
        cells, shown = suppress(counts, k)
        for code, members in groups:
            if set(members) == set(codes) and (not shown or cells[code] is None):
                raise ViewError("the group's size is hidden in its field's breakdown")
    return kept


_ATTRIBUTE = {
    ProfileField.MUNICIPALITY: "municipality",
    ProfileField.AGE_BAND: "age_band",
    ProfileField.STATUS: "resident_status",
}


def _profile(response: Answered, by: ProfileField) -> str | None:
    value: str | None = getattr(response, _ATTRIBUTE[by])
    return value


def options_of(question: Question) -> list[str]:
    if question.type == Kind.SCALE:
        return [str(n) for n in range(1, 6)]
    return [o.code for o in question.options] + (["other"] if question.other else [])


def _answers(question: Question, responses: Sequence[Answered]) -> list[tuple[Answered, str]]:
    return [(r, str(r.answers[question.code])) for r in responses if question.code in r.answers]


def key_figure(
    survey: Survey, question: Question, responses: Sequence[Answered], k: int, groups: Grouping
) -> KeyFigure:
    """A key question overall (with its headline share) and by each of its `by` fields."""
    report = question.report
    assert report is not None
    given = _answers(question, responses)
    options = options_of(question)
    counts = {o: 0 for o in options}
    for _, value in given:
        counts[value] = counts.get(value, 0) + 1
    headline_codes = [h for h in report.headline if h in counts]
    cells, shown, head = _protect_distribution(counts, headline_codes, k)
    withheld = shown and dominated(list(counts.values()))
    overall = Distribution(
        question.code,
        sum(counts.values()) if shown and not withheld else None,
        {c: (None if withheld else n) for c, n in cells.items()},
        withheld,
    )
    headline = None
    if headline_codes:
        h = sum(counts[c] for c in headline_codes)
        visible = head and not withheld
        headline = Headline(
            tuple(headline_codes),
            report.label,
            h if visible else None,
            overall.total if visible else None,
        )
    shown_headline = headline_codes if headline is not None and headline.count is not None else []
    breakdowns = tuple(
        breakdown(question, by, given, counts, overall.cells, shown_headline, k, groups)
        for by in report.by
    )
    return KeyFigure(question.code, overall, headline, breakdowns)


def _protect_distribution(
    counts: dict[str, int], headline: list[str], k: int
) -> tuple[dict[str, int | None], bool, bool]:
    """The overall cells, whether the total may be shown, and whether the headline share may:
    with a headline, each side of it is protected on its own, since its total is shown."""
    total = sum(counts.values())
    if total < k:
        return {c: None for c in counts}, False, False
    if headline:
        h = sum(counts[c] for c in headline)
        split, _ = suppress({"h": h, "r": total - h}, k)
        if None not in split.values():
            inside, _ = suppress({c: counts[c] for c in headline}, k)
            outside, _ = suppress({c: n for c, n in counts.items() if c not in headline}, k)
            return {c: {**inside, **outside}[c] for c in counts}, True, True
    cells, shown = suppress(counts, k)
    return cells, shown, False


def breakdown(
    question: Question,
    by: ProfileField,
    given: list[tuple[Answered, str]],
    counts: dict[str, int],
    overall: dict[str, int | None],
    headline: list[str],
    k: int,
    grouping: Grouping,
) -> Breakdown:
    """Answers × groups, k-safe: groups under k merged with a neighbour, answers merged to the
    headline vs the rest when the full table would hide too much, dominated groups merged; a
    breakdown left with one group (or none) is withheld."""
    options = list(counts)
    groups = _grouped(grouping[by], by, given)
    merged_groups = False
    groups, merged = _merge_small(groups, k)
    merged_groups |= merged
    merged_answers = False
    while True:
        if len(groups) < 2 or sum(overall[o] is not None for o in options) == 0:
            return Breakdown(question.code, by, tuple(options), (), withheld=True)
        rows = [HEADLINE, REST] if merged_answers else options

        tallies = [
            Counter(_row_of(v, merged_answers, headline) for v in values)
            for values in groups.values()
        ]
        table = [[tally[row] for tally in tallies] for row in rows]
        alike = [i for i, col in enumerate(zip(*table, strict=True)) if dominated(list(col))]
        if alike:
            groups = _merge_at(groups, alike[0])
            merged_groups = True
            continue
        if merged_answers:
            hidden_rows: set[int] = set()
            blocks: list[list[int]] = []
        else:
            hidden_rows = {i for i, o in enumerate(options) if overall[o] is None}
            blocks = [[i for i, o in enumerate(options) if o in headline]] if headline else []
        protected = protect_table(table, k, hidden_rows, blocks)
        cells = [c for row in protected.cells for c in row]
        if protected.withheld or all(c is None for c in cells):
            return Breakdown(question.code, by, tuple(rows), (), withheld=True)
        hidden_share = sum(c is None for c in cells) / len(cells)
        if not merged_answers and headline and hidden_share > 0.5:
            merged_answers = True
            continue
        columns = tuple(
            Column(
                members[0],
                members,
                protected.column_totals[i],
                {row: protected.cells[j][i] for j, row in enumerate(rows)},
            )
            for i, members in enumerate(groups)
        )
        return Breakdown(
            question.code, by, tuple(rows), columns, merged_answers, merged_groups, False
        )


def _row_of(value: str, merged: bool, headline: list[str]) -> str:
    if merged:
        return HEADLINE if value in headline else REST
    return value


def _grouped(
    field_groups: Groups, by: ProfileField, given: list[tuple[Answered, str]]
) -> dict[tuple[str, ...], list[str]]:
    """The answers of each group of the field, in the field's order (empty groups left out)."""
    # One pass over the answers; a profile code in several groups' members counts in each.
    groups = field_groups
    lists: list[list[str]] = [[] for _ in groups]
    where: dict[str | None, list[list[str]]] = {}
    attribute = _ATTRIBUTE[by]
    for r, v in given:
        code = getattr(r, attribute)
        if code not in where:
            where[code] = [lists[i] for i, (_, members) in enumerate(groups) if code in members]
        for values in where[code]:
            values.append(v)
    return {(code,): values for (code, _), values in zip(groups, lists, strict=True) if values}


def _merge_small(
    groups: dict[tuple[str, ...], list[str]], k: int
) -> tuple[dict[tuple[str, ...], list[str]], bool]:
    merged = False
    while len(groups) > 1:
        small = [i for i, values in enumerate(groups.values()) if len(values) < k]
        if not small:
            break
        smallest = min(small, key=lambda i: len(list(groups.values())[i]))
        groups = _merge_at(groups, smallest)
        merged = True
    return groups, merged


def _merge_at(
    groups: dict[tuple[str, ...], list[str]], index: int
) -> dict[tuple[str, ...], list[str]]:
    """The group at `index` joined with its smaller neighbour (in the field's order)."""
    items = list(groups.items())
    sizes = [len(v) for _, v in items]
    neighbours = [i for i in (index - 1, index + 1) if 0 <= i < len(items)]
    other = min(neighbours, key=lambda i: sizes[i])
    first, second = sorted((index, other))
    joined = (items[first][0] + items[second][0], items[first][1] + items[second][1])
    return dict([*items[:first], joined, *items[second + 1 :]])


def reasons(survey: Survey, question: Question, responses: Sequence[Answered], k: int) -> Reasons:
    """How many of those the question concerns named each reason (several per person)."""
    report = question.report
    assert report is not None
    among = report.among
    concerned = [r for r in responses if among is None or _matches(among, r.answers)]
    answered = [r for r in concerned if r.answers.get(question.code)]
    people = len(answered)
    if people < k:
        return Reasons(question.code, report.role, among, None, ())
    counts: Counter[str] = Counter()
    for r in answered:
        value = r.answers[question.code]
        counts.update(set(value) if isinstance(value, list) else {str(value)})
    # Most named first; ties in the order the question lists them (a set's order is not
    # the same from one process to the next, and neither would the digest be).
    order = {code: i for i, code in enumerate(question.values)}
    ranked = sorted(counts.items(), key=lambda item: (-item[1], order.get(item[0], len(order))))
    # Fewer than k, or (nearly) everyone: either would tell what someone chose.
    top = tuple((code, n if k <= n < people - 1 else None) for code, n in ranked)
    shown = [item for item in top if item[1] is not None][:TOP_REASONS]
    return Reasons(question.code, report.role, among, people, tuple(shown))


def _matches(condition: Condition, answers: dict[str, Any]) -> bool:
    if condition.question not in answers:
        return False
    given = answers[condition.question]
    values = set(given) if isinstance(given, list) else {str(given)}
    if condition.in_ is not None and not values & set(condition.in_):
        return False
    return not (condition.not_in is not None and values & set(condition.not_in))


def with_change(
    figure: KeyFigure, question: Question, earlier: list[Answered], previous_round: int, k: int
) -> KeyFigure:
    now = figure.headline
    if now is None:
        return figure
    before = Headline(now.options, now.label, None, None)
    given = [v for _, v in _answers(question, earlier)]
    total = len(given)
    if total >= k:
        h = sum(1 for v in given if v in now.options)
        cells, shown = suppress({"h": h, "r": total - h}, k)
        if shown and None not in cells.values():
            before = Headline(now.options, now.label, h, total)
    low = high = difference = None
    if now.count is not None and before.count is not None:
        assert now.total is not None and before.total is not None
        difference, low, high = changes.difference(now.count, now.total, before.count, before.total)
    change = Change(
        question.code, now.label, previous_round, before.share, now.share, difference, low, high
    )
    return KeyFigure(**{**figure.__dict__, "change": change})


def post_stratified(
    question: Question, responses: Sequence[Answered], population: Population, k: int
) -> Weighted | None:
    """The headline share weighted to the population: each stratum's share of respondents
    in the headline, times the stratum's share of people. In each stratum at least k must
    give the headline answer and k another; municipality × age band first, municipality alone
    if those are too small, else no weighted share."""
    report = question.report
    assert report is not None
    headline = set(report.headline)
    given = [
        (r.municipality, r.age_band, str(r.answers[question.code]) in headline)
        for r in responses
        if question.code in r.answers
    ]
    municipalities, bands = set(population.municipalities), set(population.bands)
    for strata in ("municipality_age", "municipality"):
        cells: dict[tuple[str, str | None], list[bool]] = {}
        for municipality, band, yes in given:
            if municipality not in municipalities:
                continue
            if strata == "municipality_age":
                if band not in bands:
                    continue
                key: tuple[str, str | None] = (municipality, band)
            else:
                key = (municipality, None)
            cells.setdefault(key, []).append(yes)
        # Each stratum's share is k-safe on its own (k saying yes and k saying no), or the
        # weighted and unweighted shares together could be solved for a group's answers.
        if not cells or any(sum(v) < k or len(v) - sum(v) < k for v in cells.values()):
            continue
        weights = {key: population.share(*key) for key in cells}
        covered = sum(weights.values())
        if covered <= 0:
            continue
        share = sum(weights[key] * sum(v) / len(v) for key, v in cells.items()) / covered
        return Weighted(question.code, 100 * share, strata, covered)
    return None


def composition(
    responses: Sequence[Answered], k: int, population: Population | None, grouping: Grouping
) -> tuple[CompositionRow, ...]:
    """Respondents by municipality and by age band (k-safe), beside the population's shares.
    Shares are of the respondents living in the table's municipalities, when there is a table."""
    rows: list[CompositionRow] = []
    towns = set(population.municipalities) if population is not None else set()
    for by in (ProfileField.MUNICIPALITY, ProfileField.AGE_BAND):
        in_scope = [
            r
            for r in responses
            if population is None or by == ProfileField.MUNICIPALITY or r.municipality in towns
        ]
        given = Counter(_profile(r, by) for r in in_scope)
        counts = {
            members: sum(n for code, n in given.items() if code in members)
            for _, members in grouping[by]
        }
        cells, shown = suppress({"|".join(map(str, m)): n for m, n in counts.items()}, k)
        base = len(in_scope)
        if population is not None and by == ProfileField.MUNICIPALITY:
            base = sum(1 for r in in_scope if r.municipality in towns)
        for (code, members), key in zip(grouping[by], cells, strict=True):
            n = cells[key]
            if counts[members] == 0 and population is None:
                continue
            people = _population_share(population, by, code)
            share = None
            if n is not None and shown and base and (people is not None or population is None):
                share = 100 * n / base
            if counts[members] == 0 and people is None:
                continue
            rows.append(
                CompositionRow(
                    by, code, tuple(m for m in members if m), n if shown else None, share, people
                )
            )
    return tuple(rows)


def _population_share(population: Population | None, by: ProfileField, code: str) -> float | None:
    if population is None:
        return None
    if by == ProfileField.MUNICIPALITY:
        return (
            100 * population.share(municipality=code) if code in population.municipalities else None
        )
    return 100 * population.share(band=code) if code in population.bands else None
