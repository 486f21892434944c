"""`linli notice ...`: preview and send a broadcast, list the notices sent, follow one's delivery."""

from __future__ import annotations

import click

from kit import ui_words
from kit.capacity_today import notice_timing_text
from kit.community import community_zone
from kit.money import community_money
from kit.notices import (
    CHANNELS,
    Audience,
    NoticePreview,
    NoticeSummary,
    delivery_counts,
    get_notice,
    list_notices,
    preview_notice,
    send_notice,
)
from kit.notices.templated import TemplatedNotice, compose, parse_params, refuse_free_text
from kit.permissions import SEND_NOTICES
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_card, echo_json, echo_plain, echo_table, word


def _say(key: str, /, **values: object) -> str:
    return ui_words.say(f"cli.notices.{key}", **values)


def _say_count(key: str, count: int, /, **values: object) -> str:
    return ui_words.say_count(f"cli.notices.{key}", count, **values)


def _listed(parts: list[str]) -> str:
    return _say("comma").join(parts)


@click.group("notice")
def notice_group() -> None:
    """Broadcast notices by SMS and voice: preview the cost, send once, follow delivery.

    \b
    Example:
      linli notice send --body "明天上午9点在小区门口发放口罩。" --grid 第1网格
    """


def _is_chinese(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def echo_preview(preview: NoticePreview) -> None:
    """The preview as a card in the reader's language, then its warnings (which may quote the text or a grid)."""
    echo_card(_preview_pairs(preview))
    for warning in preview.warnings:
        echo_plain(_say("warning", warning=str(warning)))


def _preview_pairs(preview: NoticePreview) -> list[tuple[str, str]]:
    reached = [_say("by_sms", count=f"{preview.sms_recipients:,}")] if preview.channel != "voice" else []
    if preview.voice_recipients:
        by_call = "by_call_cannot_read" if preview.channel == "sms" else "by_call"
        reached.append(_say(by_call, count=f"{preview.voice_recipients:,}"))
    money = preview.money
    cost = _say(
        "cost_sms",
        sms=money(preview.sms_cost),
        segments=f"{preview.total_segments:,}",
        price=f"{preview.segment_price:g}",
    )
    if preview.voice_recipients:
        cost = _say(
            "cost_both",
            sms=cost,
            voice=money(preview.voice_cost),
            minutes=f"{preview.call_minutes:,}",
            total=money(preview.cost),
        )
    pairs = [
        (_say("audience"), _say_count("in_audience", preview.in_audience, audience=preview.audience.describe())),
        (_say("recipients"), _say_count("reached", preview.recipients, how=_listed(reached))),
        (_say("left_out"), _say("left_out_line", no_phone=f"{preview.no_phone:,}", opted_out=f"{preview.opted_out:,}")),
        (_say("encoding"), _encoding(preview)),
        (
            _say("segments"),
            _say("segments_line", per=preview.segments_per_message, total=f"{preview.total_segments:,}"),
        ),
        (_say("cost"), cost),
    ]
    if preview.last_out is not None:
        pairs.append((_say("last_out"), notice_timing_text(preview.last_out, ui_words.current(), community_zone())))
    for version in preview.versions[1:]:
        line = _say_count(
            "version_line", version.sms_recipients, encoding=version.info.encoding, segments=version.info.segments
        )
        pairs.append((_say("text_in", lang=version.language), line))
    return pairs


def _encoding(preview: NoticePreview) -> str:
    if any(_is_chinese(ch) for ch in preview.non_gsm):
        return _say("encoding_chinese", encoding=preview.encoding)
    if preview.non_gsm:
        shown = " ".join(ch if ch.isprintable() and not ch.isspace() else repr(ch)[1:-1] for ch in preview.non_gsm[:8])
        return _say(
            "encoding_because", encoding=preview.encoding, chars=shown + (" ..." if len(preview.non_gsm) > 8 else "")
        )
    return preview.encoding


@notice_group.command("send")
@click.option("--body", default="", help="The text of the notice, at most 1,600 characters.")
@click.option("--template", default="", help="An approved notice template (linli templates list), instead of --body.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="A value of --template; repeatable.")
@click.option(
    "--body-in",
    "translations",
    type=(str, str),
    multiple=True,
    metavar="LANG TEXT",
    help="The text for residents of one language, e.g. --body-in en 'Masks at the gate at 9.'; repeatable.",
)
@click.option("--grid", "grids", multiple=True, help="Only residents of this grid; repeat for more grids.")
@click.option("--tag", "tags", multiple=True, help="Only residents with this tag, e.g. elderly-alone; repeatable.")
@click.option("--status", "statuses", multiple=True, help="Only residents with this health status; repeatable.")
@click.option("--monitoring", multiple=True, help="Only residents in this monitoring category; repeatable.")
@click.option("--language", "languages", multiple=True, help="Only residents of this language; repeatable.")
@click.option("--channel", type=click.Choice(CHANNELS), default="sms", show_default=True, help="How to send it.")
@click.option("--yes", "confirmed", is_flag=True, help="Send it. Without --yes only the preview is shown.")
@click.option("--json", "as_json", is_flag=True, help="Print the preview (and the notice sent) as JSON.")
@pass_kit
def send(
    kit: Kit,
    body: str,
    template: str,
    params: tuple[str, ...],
    translations: tuple[tuple[str, str], ...],
    grids: tuple[str, ...],
    tags: tuple[str, ...],
    statuses: tuple[str, ...],
    monitoring: tuple[str, ...],
    languages: tuple[str, ...],
    channel: str,
    confirmed: bool,
    as_json: bool,
) -> None:
    """Preview a notice and, with --yes, send it.

    The preview always comes first: who it reaches and who is left out (no phone, opted out),
    the SMS encoding and segments, the cost, and characters such as “smart quotes” that force
    the expensive UCS-2 encoding, with plain replacements. Without --yes nothing is sent and the
    command exits 0 (a preview is not an error). Values within one filter are alternatives
    (--grid A --grid B); different filters narrow each other. Residents tagged cannot-read get
    a voice call whatever the channel. The same notice to the same audience is sent only once;
    a second --yes fails with exit status 2 and queues nothing.

    When the SMS gateway sends only approved templates (Tencent Cloud, Alibaba Cloud), a notice
    is composed from an approved notice template with --template and its --param values; the
    preview shows the exact text with the signature, and free text is refused.

    \b
    Example:
      linli notice send --body "Masks at the north gate, 9:00-11:00." --grid 第1网格 --tag elderly-alone --yes
      linli notice send --template notice_water_off --param date=12月1日 --param place=3号楼
    """
    kit.open(create=False)
    audience = Audience.of(grids=grids, tags=tags, statuses=statuses, monitoring=monitoring, languages=languages)
    composed = _composed(body, template, params, translations, channel)
    bodies = dict(translations)
    if composed is not None:
        body, bodies = composed.body, composed.bodies
    preview = preview_notice(body, audience, channel, bodies=bodies, settings=kit.settings)
    notice = None
    if confirmed:
        # Sent (or refused) before anything is printed, so a refusal is one line on stderr and nothing else.
        actor = kit.allow(SEND_NOTICES)
        notice = send_notice(
            body, audience, channel=channel, bodies=bodies, settings=kit.settings, actor=actor, confirm=True,
            template=composed,
        )  # fmt: skip
    if as_json:
        sent = get_notice(notice.id).as_dict() if notice is not None else None
        echo_json({"preview": preview.as_dict(), "sent": notice is not None, "notice": sent})
        return
    echo_preview(preview)
    for gateway, text in composed.signed() if composed is not None else []:
        # exactly what residents read, signature included
        echo_plain(ui_words.say("notice_template.text", gateway=gateway, text=text))
    if notice is None:
        click.echo(_say("not_sent"))
        return
    click.echo(_say_count("queued", notice.recipients, id=notice.id))


def _composed(
    body: str, template: str, params: tuple[str, ...], translations: tuple[tuple[str, str], ...], channel: str
) -> TemplatedNotice | None:
    """The notice from an approved template, or None for free text (refused in template-only mode)."""
    if template:
        if body or translations:
            raise click.UsageError(_say("template_and_body"))
        return compose(template, parse_params(params))
    if params:
        raise click.UsageError(_say("param_without_template"))
    if not body:
        raise click.UsageError(_say("no_body"))
    refuse_free_text(channel)
    return None


def _notice_row(summary: NoticeSummary) -> list[str]:
    text = " ".join(summary.body.split())
    return [
        str(summary.id),
        summary.local_date,
        word("channel", summary.channel),
        summary.audience.describe(),
        f"{summary.recipients:,}",
        f"{summary.cost:,.2f}",
        text if len(text) <= 40 else text[:39] + "…",
    ]


@notice_group.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print the notices as JSON.")
@pass_kit
def list_command(kit: Kit, limit: int, as_json: bool) -> None:
    """List the notices sent, newest first.

    \b
    Example:
      linli notice list --limit 10
    """
    kit.open(create=False)
    notices = list_notices(limit)
    if as_json:
        echo_json([summary.as_dict() for summary in notices])
        return
    headers = [_say(f"col_{name}") for name in ("id", "date", "channel", "audience", "people", "cost", "text")]
    echo_table(headers, [_notice_row(summary) for summary in notices], empty=_say("none_sent"))


@notice_group.command("show")
@click.argument("notice_id", type=int, metavar="N")
@click.option("--json", "as_json", is_flag=True, help="Print the notice and its delivery counts as JSON.")
@pass_kit
def show(kit: Kit, notice_id: int, as_json: bool) -> None:
    """Show one notice and how its messages stand (queued, sent, delivered, failed, ...).

    \b
    Example:
      linli notice show 3
    """
    kit.open(create=False)
    summary = get_notice(notice_id)
    sms, voice = delivery_counts(notice_id, "sms"), delivery_counts(notice_id, "voice")
    if as_json:
        echo_json({**summary.as_dict(), "delivery": {"sms": sms, "voice": voice}})
        return
    pairs = [
        (_say("notice"), _say("notice_line", id=summary.id, date=summary.local_date, by=summary.created_by)),
        (_say("audience"), summary.audience.describe()),
        (_say("channel"), word("channel", summary.channel)),
        (_say("recipients"), ui_words.say_count("notice_preview.people", summary.recipients)),
        (_say("segments"), f"{summary.segments:,}"),
        (_say("cost"), community_money(kit.settings.dispatch)(summary.cost)),
        (_say("text"), summary.body),
    ]
    for channel, counts in (("sms", sms), ("voice", voice)):
        if counts:
            line = _listed([f"{word('message_status', status)} {count:,}" for status, count in counts.items()])
            pairs.append((_say(f"delivery_{channel}"), line))
    echo_card(pairs)
