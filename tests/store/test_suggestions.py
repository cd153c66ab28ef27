"""Suggestions on messy real-world grade and subject names."""

from __future__ import annotations

import pytest

from rostersync_core.mapping import grade_level, suggest_grade, suggest_subject

PLATFORM_GRADES = [("g-pk", "Pre-K"), ("g-k", "Kindergarten"), ("g-1", "Grade 1"),
                   ("g-2", "Grade 2"), ("g-9", "Grade 9"), ("g-12", "Grade 12")]
PLATFORM_SUBJECTS = [
    ("math", "Mathematics"), ("ela", "English Language Arts"), ("pe", "Physical Education"),
    ("sci", "Science"), ("cs", "Computer Science"), ("ll", "Language & Literature"),
    ("wl", "World Languages"), ("ss", "Social Studies"), ("en", "English"),
]


@pytest.mark.parametrize(("sis", "expected"), [
    ("01", "g-1"), ("1", "g-1"), ("Grade 1", "g-1"), ("1st grade", "g-1"), ("1st Grade", "g-1"),
    ("First Grade", "g-1"), ("grade one", "g-1"), ("Gr. 1", "g-1"), ("G1", "g-1"),
    ("grade-01", "g-1"), ("  01 ", "g-1"), ("02", "g-2"), ("2nd", "g-2"), ("09", "g-9"),
    ("9th Grade", "g-9"), ("12", "g-12"), ("Twelfth grade", "g-12"),
    ("KG", "g-k"), ("K", "g-k"), ("k", "g-k"), ("Kindergarten", "g-k"), ("Kinder", "g-k"),
    ("Grade K", "g-k"), ("0", "g-k"), ("00", "g-k"),
    ("PK", "g-pk"), ("Pre-K", "g-pk"), ("PreK", "g-pk"), ("pre-kindergarten", "g-pk"),
    ("Pre Kindergarten", "g-pk"),
])
def test_usual_grade_spellings_are_suggested(sis: str, expected: str) -> None:
    suggestion = suggest_grade(sis, "", PLATFORM_GRADES)
    assert suggestion.platform_id == expected, suggestion.reason
    assert suggestion.reason


@pytest.mark.parametrize("sis", ["-1", "-2", " -1"])
def test_negative_powerschool_grades_are_never_guessed(sis: str) -> None:
    suggestion = suggest_grade(sis, "", PLATFORM_GRADES)
    assert suggestion.platform_id == ""
    assert "negative" in suggestion.reason


@pytest.mark.parametrize("sis", ["UG", "Ungraded", "Other", "14", "Adult Ed", ""])
def test_grades_that_cannot_be_read_get_no_suggestion(sis: str) -> None:
    assert suggest_grade(sis, "", PLATFORM_GRADES).platform_id == ""


def test_the_sis_grade_name_is_read_when_the_code_is_not() -> None:
    assert suggest_grade("GR-A", "First Grade", PLATFORM_GRADES).platform_id == "g-1"


def test_a_grade_the_platform_lacks_says_so() -> None:
    suggestion = suggest_grade("05", "", PLATFORM_GRADES)
    assert suggestion.platform_id == ""
    assert "grade 5" in suggestion.reason


def test_two_platform_grades_that_read_alike_are_left_to_a_person() -> None:
    suggestion = suggest_grade("K", "", [("a", "K"), ("b", "Kindergarten")])
    assert suggestion.platform_id == ""
    assert "choose one" in suggestion.reason


def test_years_are_not_confused_with_grades() -> None:
    assert grade_level("Year 3") == ("year", 3)
    assert suggest_grade("Year 3", "", PLATFORM_GRADES).platform_id == ""
    assert suggest_grade("Y3", "", [("y3", "Year 3")]).platform_id == "y3"


@pytest.mark.parametrize(("sis", "expected"), [
    ("Mathematics", "math"), ("MATHEMATICS", "math"), ("mathematics.", "math"),
    ("Math", "math"), ("Maths", "math"), ("math 7", "math"), ("Mathmatics", "math"),
    ("ELA", "ela"), ("E.L.A.", "ela"), ("English Language Arts", "ela"), ("Language Arts", "ela"),
    ("English-Language Arts", "ela"),
    ("PE", "pe"), ("P.E.", "pe"), ("Phys. Ed.", "pe"), ("Physical Education", "pe"),
    ("Language and Literature", "ll"), ("Language & Literature", "ll"),
    ("language  &  literature", "ll"),
    ("World Language", "wl"), ("Foreign Language", "wl"),
    ("AP Computer Science", "cs"), ("Comp Sci", "cs"), ("Social-Studies", "ss"),
    ("Soc. Studies", "ss"), ("English 10", "en"), ("Science", "sci"),
])
def test_messy_subject_names_are_suggested(sis: str, expected: str) -> None:
    suggestion = suggest_subject(f"sub-{sis}", sis, PLATFORM_SUBJECTS)
    assert suggestion.platform_id == expected, suggestion.reason


@pytest.mark.parametrize("sis", ["History", "Band", "Study Hall", "Homeroom"])
def test_unrelated_subjects_get_no_suggestion(sis: str) -> None:
    assert suggest_subject("x", sis, PLATFORM_SUBJECTS).platform_id == ""


@pytest.mark.parametrize(("sis", "platform"), [
    ("Computer Science", "Science"), ("AP Computer Science", "Science"),
    ("English as a Second Language", "English"), ("Special Education", "Education"),
])
def test_part_of_another_known_subject_is_never_suggested(sis: str, platform: str) -> None:
    suggestion = suggest_subject("x", sis, [("p", platform)])
    assert suggestion.platform_id == "", suggestion.reason


def test_each_subject_suggestion_says_why() -> None:
    suggestion = suggest_subject("sub-m", "Math", PLATFORM_SUBJECTS)
    assert "Math" in suggestion.reason and "Mathematics" in suggestion.reason
