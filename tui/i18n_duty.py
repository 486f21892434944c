"""The words of signing in and handing over, in Chinese and English; merged into `tui.i18n.TEXT`."""

from __future__ import annotations

# key: (Chinese, English)
DUTY_TEXT: dict[str, tuple[str, str]] = {
    "duty.title": ("谁在值班？", "Who is on duty?"),
    "duty.who": ("值班人员", "Operator"),
    "duty.pick": ("选择您的名字", "Pick your name"),
    "duty.pick_first": ("请先选择您的名字。", "Pick your name first."),
    "duty.pin": ("PIN 或口令", "PIN or passphrase"),
    "duty.sign_in": ("上岗", "Sign in"),
    "duty.not_signed_in": ("未能登录：{reason}", "Not signed in: {reason}"),
    "duty.quit_hint": ("Ctrl+Q 退出", "Ctrl+Q quits"),
    "duty.signed_in": ("{name} 已上岗（{role}）", "{name} is on duty ({role})"),
    "duty.hand_over": ("交班", "Hand over"),
    "duty.hand_over_help": ("换下一位值班人员，不用退出", "Let the next operator take over without quitting"),
    "duty.take_over": ("接班", "Take over"),
    "duty.handover_title": ("交班：{name} 自 {since} 起值班", "Hand over: {name} on duty since {since}"),
    "duty.handover_nobody": ("交班：自 {since} 起", "Hand over: since {since}"),
    "duty.came_in": (
        "这一班收到：回复 {replies} 条 · 警报 {alerts} 条 · 新任务 {tasks} 个",
        "Came in this shift: {replies} replies · {alerts} alerts · {tasks} tasks",
    ),
    "duty.still_open": (
        "仍待处理：警报 {open_alerts} · 无人任务 {unassigned_tasks} · 超时任务 {overdue_tasks} · "
        "未处理短信 {unhandled_inbox} · 看不懂的回复 {unparsed_inbox}",
        "Still open: {open_alerts} alerts · {unassigned_tasks} unassigned tasks · {overdue_tasks} overdue · "
        "{unhandled_inbox} unhandled messages · {unparsed_inbox} unread replies",
    ),
    "duty.no_operators": (
        "还没有设置值班人员：用 linli operators add 添加。",
        "No operators are set up yet: add them with linli operators add.",
    ),
    "duty.refused": ("{name}（{role}）不能{what}。", "{name} ({role}) may not {what}."),
    "duty.role.admin": ("管理员", "admin"),
    "duty.role.operator": ("值班员", "operator"),
    "duty.role.viewer": ("只读", "viewer"),
    "duty.may_not.change_residents": ("修改居民信息", "change residents"),
    "duty.may_not.work": ("更改任务、警报或短信", "change tasks, alerts or messages"),
    "duty.may_not.send_notices": ("发送通知", "send notices"),
    "duty.may_not.export_personal_data": ("导出或打印个人信息", "export or print personal data"),
}
