"""The interface's words in Chinese and English, following the community's first language.

`t("residents.title")` returns the text in the current language; `{name}` placeholders are filled from keyword
arguments. The language is set once, when the app starts (`set_language`), from the community's settings.
Words from the kit's fixed vocabularies (statuses, monitoring categories, task states, intents) have helpers, so
that a status always shows as a word (GREEN / 绿) and never as a colour alone.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from tui.i18n_duty import DUTY_TEXT

if TYPE_CHECKING:
    from textual.dom import DOMNode

LANGUAGES = ("zh", "en")
_language = "zh"

# key: (Chinese, English)
TEXT: dict[str, tuple[str, str]] = {
    # the app and its navigation
    "app.title": ("邻里", "Linli"),
    "nav.today": ("今日", "Today"),
    "nav.residents": ("居民", "Residents"),
    "nav.inbox": ("收件箱", "Inbox"),
    "nav.tasks": ("任务", "Tasks"),
    "nav.notices": ("通知", "Notices"),
    "nav.simulator": ("模拟", "Simulator"),
    "nav.go": ("前往{screen}", "Go to {screen}"),
    "nav.go_help": ("切换到{screen}页面", "Switch to the {screen} screen"),
    "key.quit": ("退出", "Quit"),
    "key.refresh": ("刷新", "Refresh"),
    "key.palette": ("命令", "Commands"),
    "key.back": ("返回", "Back"),
    "loading": ("加载中…", "Loading…"),
    "pending": ("尚未就绪：{what}", "Not available yet: {what}"),
    "none": ("无", "none"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "ok": ("确定", "OK"),
    "cancel": ("取消", "Cancel"),
    "save": ("保存", "Save"),
    "close": ("关闭", "Close"),
    "any": ("全部", "any"),
    # errors
    "error.unexpected.title": ("出了点问题", "Something went wrong"),
    "error.unexpected.message": (
        "操作没有完成：{what}。数据没有改动。请重试；若仍出错，请把这句话告诉维护人员。",
        "The action did not finish: {what}. Nothing was changed. Try again; if it keeps failing, tell the "
        "maintainer this sentence.",
    ),
    # vocabularies
    "status.green": ("绿", "GREEN"),
    "status.yellow": ("黄", "YELLOW"),
    "status.red": ("红", "RED"),
    "monitoring.none": ("无", "none"),
    "monitoring.close_contact": ("密接", "close contact"),
    "monitoring.home_quarantine": ("居家隔离", "home quarantine"),
    "monitoring.confirmed": ("确诊", "confirmed"),
    "monitoring.recovered": ("康复", "recovered"),
    "tag.elderly-alone": ("独居老人", "elderly alone"),
    "tag.very-old": ("高龄", "very old"),
    "tag.disabled": ("残疾", "disabled"),
    "tag.chronic": ("慢性病", "chronic"),
    "tag.pregnant": ("孕妇", "pregnant"),
    "tag.no-phone": ("无电话", "no phone"),
    "tag.cannot-read": ("不识字", "cannot read"),
    "tag.front-line-family": ("一线家属", "front-line family"),
    "tag.dialysis": ("透析", "dialysis"),
    "task_state.unfinished": ("未完成", "unfinished"),
    "task_state.open": ("待分配", "open"),
    "task_state.assigned": ("已分配", "assigned"),
    "task_state.accepted": ("已接受", "accepted"),
    "task_state.done": ("已完成", "done"),
    "task_state.cancelled": ("已取消", "cancelled"),
    "task_kind.help": ("求助", "help"),
    "task_kind.errand": ("代购代办", "errand"),
    "task_kind.delivery": ("配送", "delivery"),
    "task_kind.door_knock": ("上门查看", "door-knock"),
    "task_kind.call_back": ("回电", "call back"),
    "intent.well": ("平安", "well"),
    "intent.unwell": ("不适", "unwell"),
    "intent.help": ("求助", "help"),
    "intent.stop": ("退订", "stop"),
    "intent.start": ("订阅", "start"),
    "intent.done": ("完成", "done"),
    "intent.auto_reply": ("自动回复", "auto-reply"),
    "intent.unknown": ("未识别", "not understood"),
    "symptom.fever": ("发烧", "fever"),
    "symptom.cough": ("咳嗽", "cough"),
    "symptom.breathing": ("呼吸困难", "breathing trouble"),
    "alert.fever": ("发烧", "fever"),
    "alert.red": ("红色", "red status"),
    "alert.unreachable": ("联系不上", "unreachable"),
    "alert.gateway": ("网关故障", "gateway failing"),
    "alert.task_overdue": ("任务逾期", "task overdue"),
    "alert.unknown_sender": ("陌生号码", "unknown sender"),
    "alert.task_unassigned": ("任务无人接", "task unassigned"),
    "alert.task_reassigned": ("任务已转交", "task handed on"),
    "alert.budget": ("超出预算", "over budget"),
    "alert.family_reply": ("家属回复", "family replied"),
    "alert.inbound_error": ("短信未处理", "SMS not handled"),
    "alert.send_failed": ("发送失败", "not sent"),
    "alert.gateway_stuck": ("手机短信积压", "phone holding SMS"),
    "severity.urgent": ("紧急", "URGENT"),
    "severity.warning": ("注意", "WARNING"),
    "severity.info": ("提示", "INFO"),
    "channel.sms": ("短信", "SMS"),
    "channel.voice": ("语音", "voice"),
    "channel.both": ("短信+语音", "SMS + voice"),
    "channel.door": ("上门", "door"),
    "channel.operator": ("值班员", "operator"),
    "overdue": ("逾期", "OVERDUE"),
    # today
    "audience.all": ("全体", "everybody"),
    "audience.monitored": ("重点人员", "monitored"),
    "today.title": ("今日 {date}", "Today {date}"),
    "today.round": ("健康打卡", "Check-in"),
    "today.no_round": ("今天还没有开始打卡。", "No check-in round has started today."),
    "today.asked": ("已问", "asked"),
    "today.answered": ("已答", "answered"),
    "today.silent": ("未答", "silent"),
    "today.escalated": ("升级", "escalated"),
    "today.alerts": ("警报（{count}）", "Alerts ({count})"),
    "today.no_alerts": ("没有未处理的警报。", "No open alerts."),
    "today.tasks": ("任务", "Tasks"),
    "today.gateways": ("网关", "Gateways"),
    "today.gateway_line": (
        "{name}：上次成功 {last}，连续失败 {failures}",
        "{name}: last send {last}, failures {failures}",
    ),
    "today.no_gateway": ("还没有发送过消息。", "Nothing has been sent yet."),
    "today.queue": (
        "发件箱：待发 {queued}\n发送中 {sending}  失败 {failed}",
        "Outbox: {queued} queued\n{sending} sending  {failed} failed",
    ),
    "today.next": ("接下来", "Next"),
    "today.run_due": ("检查到期工作", "check what is due"),
    "today.nothing_next": ("没有排定的工作。", "Nothing scheduled."),
    "today.ack": ("确认警报", "Acknowledge"),
    "today.acknowledged": ("已确认警报 #{id}", "Alert #{id} acknowledged"),
    "today.never": ("从未", "never"),
    "today.round_line": (
        "已问 {asked}  已答 {answered}  未答 {silent}  升级 {escalated}",
        "asked {asked}  answered {answered}  silent {silent}  escalated {escalated}",
    ),
    "today.capacity_unknown": ("无法估算今天的发送：{error}", "Cannot plan today's sending: {error}"),
    # residents
    "residents.search": ("搜索：姓名、电话、地址", "Search: name, phone, address"),
    "residents.grid": ("网格", "Grid"),
    "residents.tag": ("标签", "Tag"),
    "residents.status": ("状态", "Status"),
    "residents.monitoring": ("管控", "Monitoring"),
    "residents.silent": ("今日未答", "Silent today"),
    "residents.count": ("共 {shown} 人（全部 {total} 人）", "{shown} of {total} residents"),
    "residents.counting": ("正在统计…", "Counting…"),
    "residents.none": ("没有符合条件的居民。", "No resident matches."),
    "residents.col.name": ("姓名", "Name"),
    "residents.col.phone": ("电话", "Phone"),
    "residents.col.address": ("地址", "Address"),
    "residents.col.grid": ("网格", "Grid"),
    "residents.col.status": ("状态", "Status"),
    "residents.col.monitoring": ("管控", "Monitoring"),
    "residents.add": ("新增", "Add"),
    "residents.edit": ("修改", "Edit"),
    "residents.set_monitoring": ("管控", "Monitoring"),
    "residents.set_status": ("状态", "Status"),
    "residents.detail": ("详情", "Details"),
    "residents.search_key": ("搜索", "Search"),
    "residents.added": ("已新增居民 {name}", "Added {name}"),
    "residents.saved": ("已保存 {name}", "Saved {name}"),
    "detail.none": ("选择一位居民查看详情。", "Pick a resident to see the details."),
    "detail.phone": ("电话", "Phone"),
    "detail.second": ("第二联系人", "Second contact"),
    "detail.address": ("地址", "Address"),
    "detail.grid": ("网格", "Grid"),
    "detail.status": ("状态", "Status"),
    "detail.monitoring": ("管控", "Monitoring"),
    "detail.until": ("至 {date}", "until {date}"),
    "detail.tags": ("标签", "Tags"),
    "detail.language": ("语言", "Language"),
    "detail.born": ("出生年份", "Born"),
    "detail.opted_out": ("已退订短信", "opted out of SMS"),
    "detail.notes": ("备注", "Notes"),
    "detail.reports": ("健康报告", "Reports"),
    "detail.messages": ("短信", "Messages"),
    "detail.tasks": ("任务", "Tasks"),
    "detail.nothing": ("（无）", "(none)"),
    # resident form
    "form.add_title": ("新增居民", "Add a resident"),
    "form.edit_title": ("修改居民：{name}", "Edit: {name}"),
    "form.name": ("姓名", "Name"),
    "form.phone": ("电话", "Phone"),
    "form.second_phone": ("第二联系人电话", "Second contact's phone"),
    "form.grid": ("网格", "Grid"),
    "form.building": ("楼栋", "Building"),
    "form.unit": ("单元", "Unit"),
    "form.room": ("房号", "Room"),
    "form.language": ("语言", "Language"),
    "form.tags": ("标签（用逗号分开）", "Tags (comma-separated)"),
    "form.birth_year": ("出生年份", "Birth year"),
    "form.notes": ("备注", "Notes"),
    "form.hint": ("Ctrl+S 保存，Esc 取消", "Ctrl+S save, Esc cancel"),
    "monitoring.title": ("管控类别：{name}", "Monitoring: {name}"),
    "monitoring.category": ("类别", "Category"),
    "monitoring.until": ("结束日期", "Ends on"),
    "status.title": ("健康状态：{name}", "Health status: {name}"),
    "status.reason": ("原因（可不填）", "Reason (optional)"),
    # inbox
    "inbox.col.time": ("时间", "Time"),
    "inbox.col.from": ("发件人", "From"),
    "inbox.col.body": ("内容", "Message"),
    "inbox.col.intent": ("识别为", "Read as"),
    "inbox.empty": ("还没有收到短信。", "No messages yet."),
    "inbox.unknown_sender": ("陌生号码", "unknown number"),
    "inbox.reply": ("回复", "Reply"),
    "inbox.correct": ("更正", "Correct"),
    "inbox.reply_title": ("回复 {who}", "Reply to {who}"),
    "inbox.reply_body": ("回复内容", "Your reply"),
    "inbox.replied": ("已放入发件箱：回复 {who}", "Reply to {who} queued"),
    "inbox.correct_title": ("更正识别结果", "Correct how the reply was read"),
    "inbox.correct_as": ("应识别为", "It means"),
    "inbox.temperature": ("体温（可不填）", "Temperature (optional)"),
    "inbox.need": ("需要什么（求助时）", "What is needed (for help)"),
    "inbox.corrected": ("已更正", "corrected"),
    "inbox.new": ("{count} 条新短信", "{count} new messages"),
    # tasks
    "tasks.col.id": ("编号", "No."),
    "tasks.col.kind": ("类型", "Kind"),
    "tasks.col.resident": ("居民", "Resident"),
    "tasks.col.need": ("需要", "Need"),
    "tasks.col.volunteer": ("志愿者", "Volunteer"),
    "tasks.col.due": ("期限", "Due"),
    "tasks.new": ("新建", "New"),
    "tasks.assign": ("分配", "Assign"),
    "tasks.done": ("完成", "Done"),
    "tasks.cancel": ("撤销", "Cancel task"),
    "tasks.print": ("打印敲门单", "Door-knock list"),
    "tasks.empty": ("这一栏没有任务。", "No tasks here."),
    "tasks.create_title": ("新建任务", "New task"),
    "tasks.resident": ("居民（编号或电话）", "Resident (number or phone)"),
    "tasks.kind": ("类型", "Kind"),
    "tasks.need": ("需要什么", "What is needed"),
    "tasks.due_hours": ("几小时内完成", "Due within hours"),
    "tasks.assign_title": ("分配任务 #{id}", "Assign task #{id}"),
    "tasks.suggested": ("建议：{name}（手上 {load} 件）", "Suggested: {name} ({load} open)"),
    "tasks.volunteer": ("志愿者", "Volunteer"),
    "tasks.assigned": ("任务 #{id} 已分配给 {name}", "Task #{id} assigned to {name}"),
    "tasks.completed": ("任务 #{id} 已完成", "Task #{id} done"),
    "tasks.cancelled": ("任务 #{id} 已撤销", "Task #{id} cancelled"),
    "tasks.created": ("已新建任务 #{id}", "Task #{id} created"),
    "tasks.printed": ("敲门单已写入 {path}", "Door-knock list written to {path}"),
    "tasks.confirm_cancel": ("撤销任务 #{id}？", "Cancel task #{id}?"),
    "tasks.confirm_done": ("把任务 #{id} 标为已完成？", "Mark task #{id} as done?"),
    "tasks.print_title": ("打印敲门单", "Print the door-knock list"),
    "tasks.print_path": ("保存到文件（.txt 或 .html）", "Save to a file (.txt or .html)"),
    "tasks.no_volunteer": ("这个网格没有志愿者。", "No volunteer covers this grid."),
    # notices
    "notices.body": ("通知内容", "Notice text"),
    "notices.audience": ("发给谁", "Audience"),
    "notices.all": ("全部居民", "Everybody"),
    "notices.grids": ("网格（逗号分开）", "Grids (comma-separated)"),
    "notices.tags": ("标签（逗号分开）", "Tags (comma-separated)"),
    "notices.statuses": ("状态（逗号分开）", "Statuses (comma-separated)"),
    "notices.channel": ("渠道", "Channel"),
    "notices.preview": ("预览", "Preview"),
    "notices.send": ("发送", "Send"),
    "notices.preview_line": (
        "收件人 {recipients} 人 · {encoding} · 每条 {segments} 段 · 约 {cost}",
        "{recipients} recipients · {encoding} · {segments} part(s) each · about {cost}",
    ),
    "notices.confirm_title": ("确认发送通知", "Send this notice?"),
    "notices.confirm_body": (
        "将发给 {recipients} 人，每人 {segments} 段，约 {cost}。发出后不能撤回。",
        "It goes to {recipients} people, {segments} part(s) each, about {cost}. It cannot be called back.",
    ),
    "notices.by_voice": ("其中 {count} 人会接到语音电话（不识字或选了语音）。", "{count} of them get a voice call."),
    "notices.col.delivered": ("送达", "deliv."),
    "notices.col.waiting": ("待发", "queued"),
    "notices.col.failed": ("失败", "failed"),
    "notices.sent": ("通知 #{id} 已放入发件箱", "Notice #{id} queued"),
    "notices.history": ("已发通知", "Sent notices"),
    "notices.delivery": (
        "#{id} {when} · {recipients} 人 · 已送达 {delivered} · 待发 {queued} · 失败 {failed}",
        "#{id} {when} · {recipients} people · delivered {delivered} · queued {queued} · failed {failed}",
    ),
    "notices.empty_body": ("请先写通知内容。", "Write the notice first."),
    # simulator
    "sim.resident": ("居民（编号、电话或姓名）", "Resident (number, phone or name)"),
    "sim.reply": ("以居民身份回复的短信", "The SMS the resident sends"),
    "sim.send": ("发送", "Send"),
    "sim.as": ("当前居民：{who}", "Answering as: {who}"),
    "sim.nobody": ("先选一位居民。", "Pick a resident first."),
    "sim.conversation": ("对话", "Conversation"),
    "sim.sent": ("已收到：{body}", "Received: {body}"),
    "sim.keypad": ("按键（语音）", "Keypad (voice)"),
    "sim.keypad_pending": (
        "语音不走模拟器，无法在这里按键。",
        "Voice goes through a real provider: no keypad here.",
    ),
    "sim.keys": ("按键后回车（空=静默）", "Keys, then Enter (empty: silence)"),
    "sim.call_in": ("来电", "Call in"),
    "sim.silence": ("不按键", "Silence"),
    "sim.hang_up": ("挂断", "Hang up"),
    "sim.call": ("通话", "Call"),
    "sim.call_waiting": ("通话中：等待按键", "On the call: waiting for keys"),
    "sim.call_ended": ("通话结束（{status}）", "The call ended ({status})"),
    "sim.router_pending": ("短信路由（sms.router）尚未就绪。", "The SMS router (sms.router) is not there yet."),
    "sim.matches": ("找到 {count} 人：", "{count} found:"),
    # dialogs
    "confirm.title": ("请确认", "Please confirm"),
    "confirm.yes": ("确认", "Confirm"),
    # the district's screen
    "district.title": ("全区总览 {date}", "District {date}"),
    "district.reported": ("已上报", "Reported"),
    "district.total": ("全区合计", "District total"),
    "district.not_reported": ("未上报（{count}）：", "Not reported ({count}):"),
    "district.all_reported": ("全部社区已上报。", "Every community has reported."),
    "district.since": ("（最近 {last}）", " (last {last})"),
    "district.never": ("从未", "never"),
    "district.no_communities": (
        "还没有社区。添加：linli district add 名称",
        "No communities yet: linli district add NAME",
    ),
    "district.trend": ("近 {days} 天趋势", "Trend of the last {days} days"),
    "district.reporting": ("上报社区", "Reporting"),
    "district.previous_day": ("前一天", "Previous day"),
    "district.next_day": ("后一天", "Next day"),
}
TEXT.update(DUTY_TEXT)  # signing in and handing over


def set_language(code: str) -> str:
    """Use `code` ("zh", "en", "zh-CN", ...) for the interface; anything else falls back to Chinese."""
    global _language
    base = (code or "").split("-")[0].split("_")[0].lower()
    _language = base if base in LANGUAGES else "zh"
    return _language


def language() -> str:
    return _language


def t(key: str, **values: object) -> str:
    """The text for `key` in the current language; an unknown key shows itself (so a gap is visible, not fatal)."""
    pair = TEXT.get(key)
    if pair is None:
        return key.format(**values) if values else key
    text = pair[0] if _language == "zh" else pair[1]
    return text.format(**values) if values else text


def has(key: str) -> bool:
    return key in TEXT


def word(prefix: str, value: str | None) -> str:
    """A vocabulary value as people read it: word("status", "red") -> "红" / "RED"; unknown values as they are."""
    if not value:
        return ""
    key = f"{prefix}.{value}"
    return t(key) if key in TEXT else value


def translate_bindings(node: DOMNode) -> None:
    """Give `node`'s key bindings their descriptions in the current language (descriptions are i18n keys)."""
    bindings = node._bindings  # the node's own copy of its class bindings
    for key, key_bindings in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [
            dataclasses.replace(binding, description=t(binding.description)) if has(binding.description) else binding
            for binding in key_bindings
        ]
