"""Notices: broadcasts to an audience by SMS, by voice, or both, previewed with their cost and sent only once.

An organizer writes the text, picks the audience (grids, tags, health statuses, monitoring categories, languages;
nothing picked means everybody) and sees the preview: how many people it reaches and who is left out, the SMS
encoding and segments, the cost, and the characters that needlessly turn a cheap GSM-7 message into UCS-2.
Sending queues one outbox row per recipient in the same transaction as the `Notice` row; the dispatcher sends them.

A notice is never sent twice: its fingerprint (the normalised text, the audience and the channel) is unique, and a
second send is refused with the date and size of the first. Residents tagged cannot-read get the notice as a call
whatever the channel, since a text they cannot read reaches nobody.

The parts: `kit.audience` (who, as people type it; shared with check-in rounds), `recipients` (the SQL that
picks them), `preview` (cost, segments, when the last one goes out), `sending` (queueing in chunks, never twice)
and `history` (the notices sent).
"""

from kit.audience import Audience
from kit.notices.history import NoticeSummary, delivery_counts, get_notice, list_notices
from kit.notices.preview import CHANNELS, BodyVersion, NoticePreview, PreviewWarning, preview_notice
from kit.notices.sending import send_notice

__all__ = [
    "CHANNELS",
    "Audience",
    "BodyVersion",
    "NoticePreview",
    "NoticeSummary",
    "PreviewWarning",
    "delivery_counts",
    "get_notice",
    "list_notices",
    "preview_notice",
    "send_notice",
]
