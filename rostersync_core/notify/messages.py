"""What the sync administrators are told, as e-mail: one :class:`Notice` per job event.

A notice names the school and the job, gives the counts per kind and what to do next
(``rostersync sync show N``, or the Python call). It never carries a student's name, an
e-mail address from the roster or any other personal data: only counts, the job's reason
(written by the engine for an admin) and the school's ids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import attrs

from rostersync_core.events import JobState, SyncJobEvent

__all__ = [
    "NOTIFIED_STATES",
    "Notice",
    "compose_notice",
    "compose_run_failure_notice",
    "compose_test_notice",
    "failure_label",
    "notice_email",
]

#: The states sync administrators hear about.
NOTIFIED_STATES = frozenset(
    {JobState.PENDING_REVIEW, JobState.HELD, JobState.COMPLETED, JobState.FAILED}
)

_KINDS = ("classes", "students", "staff", "family", "enrolments", "family_links")
_KIND_WORDS = {"family": "family members", "family_links": "family links"}
_TO_DO = {"create": "to create", "update": "to update", "archive": "to archive",
          "restore": "to restore", "link": "to link to existing records",
          "unchanged": "unchanged", "skipped": "skipped"}
_DONE = {"create": "created", "update": "updated", "archive": "archived",
         "restore": "restored", "link": "linked to existing records",
         "unchanged": "unchanged", "skipped": "skipped"}

_FAILURES = {
    "authentication": (
        "the SIS refused the credentials",
        "The credentials stored for this school are expired or wrong: the SIS refused them, "
        "so nothing was fetched and nothing was changed.\n"
        "Fix them by running setup again with the new credentials (mappings, links and "
        "exclusions are kept):\n\n    rostersync setup {school} --connector NAME ...",
    ),
    "sis_unavailable": (
        "the SIS could not be reached",
        "The SIS did not answer (or kept failing). Nothing was changed; the next daily sync "
        "tries again. To try now:\n\n    rostersync sync run {school}",
    ),
    "unmapped": (
        "grades or subjects need mapping",
        "The SIS uses grades or subjects that have no mapping yet. Map them, then sync:\n\n"
        "    rostersync grades show {school}\n    rostersync subjects show {school}",
    ),
    "platform": (
        "applying the request to the platform stopped part-way",
        "What was applied is recorded; applying again finishes the rest with no duplicate:\n\n"
        "    rostersync sync apply {job}",
    ),
    "invalid_data": (
        "the SIS sent data rostersync cannot read",
        "Nothing was changed. Check the SIS export, then sync again:\n\n"
        "    rostersync sync run {school}",
    ),
}


def failure_label(error_kind: str) -> str:
    """What failed, in words: ``"the SIS refused the credentials"`` for ``authentication``."""
    if error_kind == "platform":
        return "applying the request to the platform stopped part-way"
    return _FAILURES.get(error_kind, ("an error stopped it", ""))[0]


@attrs.frozen
class Notice:
    """One message for the sync administrators (recipients are added when sending)."""

    school_id: str
    job_id: int | None
    state: JobState | None
    subject: str
    body: str


def compose_test_notice(school_id: str, *, school_name: str = "") -> Notice:
    """A test message (``rostersync notify test``): proves delivery, changes nothing."""
    title = f"{school_name} ({school_id})" if school_name else school_id
    body = (
        f"School: {title}\n\n"
        "This is a test e-mail from rostersync. The sync administrators of this school are "
        "e-mailed here when a daily sync makes a request that waits for review, when a job "
        "is applied, when one is held (and why) and when one fails.\n\n-- \nrostersync\n"
    )
    return Notice(school_id, None, None, f"[rostersync] {school_id}: test e-mail", body)


def compose_run_failure_notice(school_id: str, reason: str, *, school_name: str = "") -> Notice:
    """A daily sync that failed before it could make a sync job (the school's connection
    is gone, the database refused...): no job to name, so no job state change to hear of.

    ``reason`` is the run's logged message (written for an admin, no personal data).
    """
    title = f"{school_name} ({school_id})" if school_name and school_name != school_id else (
        school_id)
    body = (
        f"School: {title}\n\n"
        "The daily sync could not start, so nothing was fetched and nothing was changed.\n\n"
        + (f"Details: {reason}\n\n" if reason else "")
        + "Check the school's connection and the daily sync's log:\n\n"
        f"    rostersync connection show {school_id}\n"
        f"    rostersync schedule show {school_id}\n\n"
        f"Set the school up again if its connection is gone:\n\n"
        f"    rostersync setup {school_id} --connector NAME ...\n\n-- \nrostersync\n"
    )
    subject = f"[rostersync] {school_id}: the daily sync could not start"
    return Notice(school_id, None, JobState.FAILED, subject, body)


#: Long subjects (a held job's reason) stay on one line instead of folding oddly.
_POLICY = policy.SMTP.clone(max_line_length=200)


def _kind_word(kind: str) -> str:
    return _KIND_WORDS.get(kind, kind.replace("_", " "))


def count_lines(counts: Mapping[str, Mapping[str, int]], *, done: bool) -> list[str]:
    """``"students: 3 to create, 1 to update, 40 unchanged"``, one line per kind."""
    words = _DONE if done else _TO_DO
    kinds = [k for k in _KINDS if k in counts] + sorted(k for k in counts if k not in _KINDS)
    lines: list[str] = []
    for kind in kinds:
        actions = counts[kind]
        order = [a for a in words if a in actions] + sorted(a for a in actions if a not in words)
        parts = [f"{actions[a]} {words.get(a, a)}" for a in order if actions.get(a)]
        if parts:
            lines.append(f"  {_kind_word(kind)}: {', '.join(parts)}")
    return lines or ["  (no records)"]


def _changes(counts: Mapping[str, Mapping[str, int]]) -> int:
    """How many records a request creates, updates, archives or restores."""
    acting = ("create", "update", "archive", "restore")
    return sum(actions.get(a, 0) for actions in counts.values() for a in acting)


def _review(job_id: int) -> str:
    return (
        "Review it:\n\n"
        f"    rostersync sync show {job_id}\n"
        f"    rostersync sync approve {job_id}     (or: rostersync sync reject {job_id})\n\n"
        "In Python:\n\n"
        "    from rostersync_core.sync import approve_job, get_request, iter_changes\n"
        f"    request = get_request(store, {job_id})   # counts, hold reasons, frozen settings\n"
        f"    approve_job(store, host, platform, {job_id}, actor=\"your name\")"
    )


def compose_notice(event: SyncJobEvent, *, school_name: str = "") -> Notice | None:
    """The notice for ``event``, or ``None`` for states admins are not told of."""
    if event.state not in NOTIFIED_STATES:
        return None
    school = event.school_id
    title = f"{school_name} ({school})" if school_name and school_name != school else school
    job = event.job_id
    what = "daily sync" if event.trigger in ("schedule", "scheduled") else "sync"
    head = f"School: {title}\nSync job: {job} ({what})\n"
    sections: Sequence[str]
    if event.state is JobState.PENDING_REVIEW:
        subject = f"[rostersync] {school}: sync request {job} waits for your review"
        nothing = "" if _changes(event.counts) else (
            " It changes nothing: the platform already matches the SIS."
        )
        sections = (
            f"The {what} made a request that waits for a person to review it.{nothing}",
            "What it would change:\n" + "\n".join(count_lines(event.counts, done=False)),
            _review(job),
        )
    elif event.state is JobState.HELD:
        why = event.reason or "the changes are larger than the school's thresholds"
        subject = f"[rostersync] {school}: sync request {job} is held: {_one_line(why)}"
        sections = (
            f"The {what} made a request that is held, so it was not applied "
            "(even with auto-apply on). A person must approve or reject it.",
            f"Why it is held: {why}",
            "What it would change:\n" + "\n".join(count_lines(event.counts, done=False)),
            _review(job),
        )
    elif event.state is JobState.COMPLETED:
        subject = f"[rostersync] {school}: sync job {job} was applied"
        sections = (
            f"Sync job {job} was applied to the platform.",
            "What changed:\n" + "\n".join(count_lines(event.counts, done=True)),
            f"Every change keeps its before-values; see it or revert it:\n\n"
            f"    rostersync sync show {job}\n    rostersync sync revert {job}",
        )
    else:
        label, advice = _FAILURES.get(
            event.error_kind,
            ("an error stopped it", "Nothing was changed. See the job for details:\n\n"
             f"    rostersync sync show {job}"),
        )
        subject = f"[rostersync] {school}: sync job {job} failed: {label}"
        sections = (
            f"Sync job {job} failed: {label}.",
            f"Details: {event.reason}" if event.reason else "",
            advice.format(school=school, job=job),
        )
    body = head + "\n" + "\n\n".join(s for s in sections if s) + "\n\n-- \nrostersync\n"
    return Notice(school, job, event.state, subject, body)


def _one_line(text: str, limit: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def notice_email(notice: Notice, *, sender: str, recipients: Sequence[str]) -> EmailMessage:
    """``notice`` as an e-mail from ``sender`` to ``recipients``."""
    message = EmailMessage(policy=_POLICY)
    message["Subject"] = notice.subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="rostersync")
    message["X-Rostersync-School"] = notice.school_id
    if notice.job_id is not None:
        message["X-Rostersync-Job"] = str(notice.job_id)
    if notice.state is not None:
        message["X-Rostersync-State"] = str(notice.state)
    message.set_content(notice.body)
    return message
