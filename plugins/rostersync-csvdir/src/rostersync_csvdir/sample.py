"""A sample district as CSV files (two schools, a few of every kind), for demos and tests."""

from __future__ import annotations

from pathlib import Path

API_KEY = "csvdir-test-key-7f3a"  # a fake key for a fake folder

FILES: dict[str, str] = {
    "schools": """id,name,identifier
S1,Hillside Primary,HP
S2,Riverside High,RH
""",
    "grades": """id,name
KG,Kindergarten
01,Grade 1
02,Grade 2
""",
    "subjects": """id,name,code
MATH,Mathematics,02001
ENG,English,01001
""",
    "terms": """id,school_id,title,type,start_date,end_date,parent_id
Y2026,,2025-2026,schoolYear,2025-09-01,2026-06-30,
T1,,Autumn,term,2025-09-01,2026-01-31,Y2026
T2,S1,Spring,term,2026-02-01,2026-06-30,Y2026
T9,S2,Riverside term,term,2025-09-01,2026-06-30,Y2026
""",
    "courses": """id,school_id,title,code,grades,subjects
C-MATH1,S1,Maths 1,M1,01,MATH
C-ENG1,,English 1,E1,01;02,ENG
C-SCI9,S2,Science 9,SC9,09,SCI
""",
    "classes": """id,school_id,title,code,type,course_id,terms,grades,subjects,location
K1,S1,Kindergarten Owls,KO,homeroom,,Y2026,KG,,Room 1
M1,S1,Maths 1 Autumn,M1A,scheduled,C-MATH1,T1,01,MATH,Room 4
M2,S1,Maths 1 Spring,M1S,scheduled,C-MATH1,T2,01,MATH,Room 4
E1,S1,English 1,E1A,scheduled,C-ENG1,T1;T2,01;02,ENG,Room 7
R1,S2,Science 9,SC9A,scheduled,C-SCI9,T9,09,SCI,Lab
""",
    "people": "id,kind,school_ids,given_name,family_name,email,username,identifier,grade,roles,"
    """enabled
st1,student,S1,Ada,Lovelace,ada@example.test,ada,1001,KG,,true
st2,student,S1,Alan,Turing,alan@example.test,alan,1002,01,,true
st3,student,S1,Grace,Hopper,grace@example.test,grace,1003,01,,true
st4,student,S1,Edsger,Dijkstra,,edsger,1004,02,,true
st5,student,S1,Barbara,Liskov,,barbara,1005,03,,false
st9,student,S2,Donald,Knuth,,donald,2001,09,,true
t1,staff,S1,Katherine,Johnson,kj@example.test,kjohnson,T-1,,teacher,true
t2,staff,S1,Dorothy,Vaughan,dv@example.test,dvaughan,T-2,,teacher;administrator,true
t3,staff,S1;S2,Mary,Jackson,mj@example.test,mjackson,T-3,,aide,true
f1,family,,Augusta,Byron,ab@example.test,,,,,true
f2,family,,Ethel,Turing,,,,,,true
f9,family,,Jill,Knuth,,,,,,true
""",
    "enrolments": """class_id,person_id,role,primary,begin_date,end_date
K1,st1,student,,2025-09-01,2026-06-30
K1,t1,teacher,true,,
M1,st2,student,,,
M1,st3,student,,,
M1,t2,teacher,true,,
M1,t3,aide,,,
M2,st2,student,,,
M2,t2,teacher,true,,
E1,st3,student,,,
E1,st4,student,,,
E1,st5,student,,,
E1,t1,teacher,true,,
R1,st9,student,,,
R1,t3,teacher,true,,
""",
    "family_links": """family_id,student_id,relationship
f1,st1,mother
f2,st2,mother
f2,st3,guardian
f9,st9,mother
""",
}

#: What the folder holds for school S1, counted by hand: the suite's source of truth.
S1_COUNTS = {
    "grade": 4,  # KG, 01, 02 listed + 03 in use (st5)
    "subject": 2,
    "session": 3,  # Y2026, T1, T2
    "course": 2,
    "class": 4,
    "student": 5,
    "staff": 3,
    "family": 2,
    "enrolment": 12,
    "family_link": 3,
}


def write_district(folder: Path, *, api_key: str | None = API_KEY) -> Path:
    """Write the district's files (and its key, unless ``api_key`` is None) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    if api_key is not None:
        (folder / ".api_key").write_text(api_key + "\n", encoding="utf-8")
    return folder
