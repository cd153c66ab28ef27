"""Suggestions for grade and subject mapping: pure functions, nothing is saved here.

Grades are read into a canonical level: CEDS codes (``01``, ``KG``, ``PK``), plain numbers
(``1``, PowerSchool's ``0`` for kindergarten), ``Grade 1``, ``1st grade``, ``first grade``,
``Kindergarten``, ``Pre-K``... Negative numbers (PowerSchool's pre-kindergarten levels)
mean different things in different districts: they are never guessed.

Subjects are compared ignoring case, punctuation, ``&``/``and`` and plurals, then through
a small table of usual names (``Math`` ~ ``Mathematics``, ``ELA`` ~ ``English Language
Arts``), then by whole-word containment, then by close spelling.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

import attrs

__all__ = [
    "Suggestion",
    "grade_level",
    "subject_key",
    "suggest_grade",
    "suggest_subject",
]


@attrs.frozen
class Suggestion:
    """A proposed mapping of one SIS value, with the reason. ``platform_id`` is ``""``
    when nothing fits (``reason`` then says why)."""

    sis_id: str
    sis_name: str
    platform_id: str
    platform_name: str
    reason: str


@attrs.frozen
class _Target:
    id: str
    name: str


# -- grades ------------------------------------------------------------------------------

_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
}
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
}
_PK = {"pk", "prek", "prekindergarten", "prekinder", "preschool", "pre", "pkg", "pk3", "pk4"}
_K = {"k", "kg", "kindergarten", "kinder", "kindergarden", "kdg", "kn"}
_TK = {"tk", "transitionalkindergarten", "transitionalk"}
_GRADE_WORDS = ("grade", "grades", "gr", "grd", "g", "level", "lvl", "class", "std", "standard")
_YEAR_WORDS = ("year", "yr", "y")
_NUMBER = re.compile(r"^0*(\d{1,2})(?:st|nd|rd|th)?$")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold())


def _level_of_words(words: list[str]) -> tuple[str, int] | None:
    squashed = "".join(words)
    # "gr5", "y3", "g10": letters glued to a number
    words = [part for w in words for part in re.findall(r"\d+(?:st|nd|rd|th)?|[a-z]+", w)]
    if squashed in _PK:
        return ("prekindergarten", 0)
    if squashed in _TK:
        return ("transitional kindergarten", 0)
    if squashed in _K:
        return ("grade", 0)
    scale = "grade"
    rest = [w for w in words if w not in _GRADE_WORDS]
    if any(w in _YEAR_WORDS for w in rest):
        scale = "year"
        rest = [w for w in rest if w not in _YEAR_WORDS]
    if len(rest) != 1:
        return None
    word = rest[0]
    if word in _K and scale == "grade":
        return ("grade", 0)
    number: int | None = None
    match = _NUMBER.match(word)
    if match:
        number = int(match.group(1))
    elif word in _ORDINAL_WORDS:
        number = _ORDINAL_WORDS[word]
    elif word in _NUMBER_WORDS:
        number = _NUMBER_WORDS[word]
    if number is None or number > 13:
        return None
    return (scale, number)


def grade_level(text: str) -> tuple[str, int] | None:
    """The canonical level a grade spelling means, or ``None`` when it cannot be read.

    ``("grade", 0)`` is kindergarten, ``("grade", n)`` grade n, ``("year", n)`` year n,
    ``("prekindergarten", 0)`` and ``("transitional kindergarten", 0)`` what they say.
    Negative numbers are never read.
    """
    raw = text.strip()
    if not raw or re.match(r"^-\s*\d", raw):
        return None
    return _level_of_words(_words(raw))


def _level_name(level: tuple[str, int]) -> str:
    scale, number = level
    if scale == "grade":
        return "kindergarten" if number == 0 else f"grade {number}"
    if scale == "year":
        return f"year {number}"
    return scale


def suggest_grade(
    sis_id: str, sis_name: str, platform_grades: Sequence[tuple[str, str]]
) -> Suggestion:
    """Suggest the platform grade (``(id, name)`` pairs) for one SIS grade."""
    level = grade_level(sis_id)
    read_from = sis_id
    if level is None and sis_name:
        level, read_from = grade_level(sis_name), sis_name
    if level is None:
        why = ("negative grade numbers mean different levels in different SIS set-ups: "
               "map it yourself") if re.match(r"^\s*-\s*\d", sis_id) else (
               f"{sis_id!r} is not a grade spelling rostersync knows: map it yourself")
        return Suggestion(sis_id, sis_name, "", "", why)
    hits = [
        _Target(pid, name)
        for pid, name in platform_grades
        if (grade_level(name) or grade_level(pid)) == level
    ]
    if len(hits) == 1:
        return Suggestion(
            sis_id, sis_name, hits[0].id, hits[0].name,
            f"{read_from!r} reads as {_level_name(level)}, and so does platform grade "
            f"{hits[0].name!r}",
        )
    if not hits:
        return Suggestion(sis_id, sis_name, "", "",
                          f"{read_from!r} reads as {_level_name(level)}: no platform grade does")
    names = ", ".join(repr(h.name) for h in hits)
    return Suggestion(sis_id, sis_name, "", "",
                      f"{read_from!r} reads as {_level_name(level)}, like {names}: choose one")


# -- subjects ----------------------------------------------------------------------------

#: Usual names -> the canonical name (both sides go through :func:`subject_key`).
SUBJECT_SYNONYMS: dict[str, str] = {
    "math": "mathematics", "maths": "mathematics",
    "ela": "english language arts", "language arts": "english language arts",
    "english language art": "english language arts",
    "pe": "physical education", "phys ed": "physical education", "gym": "physical education",
    "sci": "science",
    "ss": "social studies", "soc studies": "social studies", "social science": "social studies",
    "cs": "computer science", "comp sci": "computer science", "computing": "computer science",
    "ict": "information technology", "it": "information technology",
    "foreign language": "world languages", "modern languages": "world languages",
    "mfl": "world languages",
    "esl": "english as a second language", "ell": "english as a second language",
    "eal": "english as a second language", "esol": "english as a second language",
    "visual arts": "art", "fine arts": "art",
    "sped": "special education", "special ed": "special education",
}


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def subject_key(name: str) -> str:
    """A subject name for comparison: case, punctuation, ``&``/``and`` and plurals dropped."""
    text = name.casefold().replace("&", " and ").replace("+", " and ")
    words = [w for w in _words(text) if w != "and"]
    if len(words) > 1 and all(len(w) == 1 for w in words):  # "P.E." -> "pe"
        words = ["".join(words)]
    return " ".join(_singular(w) for w in words)


_CANONICAL = {subject_key(k): subject_key(v) for k, v in SUBJECT_SYNONYMS.items()}

#: Known subjects of several words: a platform subject named by only part of one
#: (``Science`` in ``Computer Science``, ``English`` in ``English as a second language``)
#: is another subject, never suggested by "contains the words of".
_KNOWN_PHRASES = tuple(
    frozenset(v.split()) for v in sorted(set(_CANONICAL.values())) if " " in v
)


def _splits_a_known_subject(sis_words: set[str], target_words: set[str]) -> bool:
    return any(
        phrase <= sis_words and target_words < phrase for phrase in _KNOWN_PHRASES
    )


def _canonical(key: str) -> str:
    whole = _CANONICAL.get(key)
    if whole is not None:
        return whole
    return " ".join(_CANONICAL.get(w, w) for w in key.split())


def suggest_subject(
    sis_id: str, sis_name: str, platform_subjects: Sequence[tuple[str, str]]
) -> Suggestion:
    """Suggest the platform subject (``(id, name)`` pairs) for one SIS subject."""
    name = sis_name or sis_id
    key = subject_key(name)
    targets = [_Target(pid, pname) for pid, pname in platform_subjects]
    if not key:
        return Suggestion(sis_id, sis_name, "", "", "the SIS subject has no name")

    def one(hits: list[_Target], reason: str) -> Suggestion | None:
        if len(hits) == 1:
            return Suggestion(sis_id, sis_name, hits[0].id, hits[0].name, reason)
        return None

    exact = [x for x in targets if subject_key(x.name) == key]
    found = one(exact, "same name, ignoring case, punctuation, '&'/'and' and plurals")
    canonical = _canonical(key)
    synonyms = [x for x in targets if _canonical(subject_key(x.name)) == canonical]
    found = found or one(
        synonyms,
        f"{name!r} and {synonyms[0].name!r} are usual names of the same subject"
        if synonyms else "",
    )
    if found:
        return found
    if len(exact) > 1 or len(synonyms) > 1:
        names = ", ".join(repr(x.name) for x in (exact if len(exact) > 1 else synonyms))
        return Suggestion(sis_id, sis_name, "", "", f"several platform subjects fit: {names}")
    words = set(canonical.split())
    contained = [
        (len(set(_canonical(subject_key(x.name)).split())), x)
        for x in targets
        if subject_key(x.name) and set(_canonical(subject_key(x.name)).split()) <= words
        and not _splits_a_known_subject(words, set(_canonical(subject_key(x.name)).split()))
    ]
    if contained:
        best = max(size for size, _ in contained)
        top = [x for size, x in contained if size == best]
        found = one(top, f"{name!r} contains the words of {top[0].name!r}")
        if found:
            return found
    scored = sorted(
        ((difflib.SequenceMatcher(None, canonical, _canonical(subject_key(x.name))).ratio(), x)
         for x in targets),
        key=lambda item: -item[0],
    )
    if scored and scored[0][0] >= 0.85 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
        x = scored[0][1]
        return Suggestion(sis_id, sis_name, x.id, x.name,
                          f"{name!r} is spelt almost like {x.name!r}")
    return Suggestion(sis_id, sis_name, "", "", "no platform subject has a similar name")
