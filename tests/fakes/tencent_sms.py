"""A stand-in for Tencent Cloud SMS's API (sms.tencentcloudapi.com, version 2021-01-11) on 127.0.0.1.

Written from Tencent's documented shapes: every call is a JSON POST to "/" naming its action in X-TC-Action and
signed with TC3-HMAC-SHA256 (the stand-in reads the SecretId from the Authorization header, not the signature);
an answer is {"Response": {..., "RequestId"}}, or {"Response": {"Error": {"Code", "Message"}, "RequestId"}}.
SendSms answers each number in SendStatusSet (Code "Ok", or the number's error code, as Tencent does for an
unapproved template, a bad signature, a rate limit or a wrong number). PullSmsSendStatus and PullSmsReplyStatus
hand out what tests queued with `report` and `reply`, at most Limit a call, each once (queue a record twice to
model Tencent handing it twice).

Switches: `secret_ids` (the keys that exist; others get AuthFailure.SecretIdNotFound), `templates` (approved
template id -> its parameter count), `sign_names`, `number_errors` (number -> code), `error` (a code every
call answers with, top level).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from aiohttp import web

from tests.fakes.loopback import LoopbackServer

SECRET_ID = "AKIDfakeTencentSecretId0123456789"
SECRET_KEY = "fakeTencentSecretKey0123456789ab"
APP_ID = "1400000001"
SIGN_NAME = "幸福里社区"
VERSION = "2021-01-11"
_NUMBER = re.compile(r"^\+[1-9]\d{6,14}$")
MESSAGES = {
    "FailedOperation.TemplateIncorrectOrUnapproved": "template is not approved or request content does not match",
    "FailedOperation.SignatureIncorrectOrUnapproved": "signature is not approved or signature format is error",
    "InvalidParameterValue.IncorrectPhoneNumber": "incorrect phone number",
    "AuthFailure.SecretIdNotFound": "The SecretId is not found, please ensure that your SecretId is correct.",
}


class FakeTencentSms(LoopbackServer):
    thread_name = "fake-tencent-sms"

    def __init__(self) -> None:
        super().__init__()
        self.secret_ids = {SECRET_ID}
        self.app_id = APP_ID
        self.templates: dict[str, int] = {"100001": 0, "100002": 2}  # checkin, notice_water_off
        self.sign_names = {SIGN_NAME}
        self.number_errors: dict[str, str] = {}
        self.error = ""  # a code answered at the top level to every call (RequestLimitExceeded, InternalError, ...)
        self.calls: list[tuple[str, dict[str, Any]]] = []  # (action, payload) as received
        self.sent: list[dict[str, Any]] = []  # one per accepted number: SerialNo, PhoneNumber, SessionContext, ...
        self.reports: list[dict[str, Any]] = []
        self.replies: list[dict[str, Any]] = []

    def __enter__(self) -> FakeTencentSms:
        self.start()
        return self

    def sends(self) -> list[dict[str, Any]]:
        return [payload for action, payload in self.calls if action == "SendSms"]

    def report(self, serial: str, phone: str, status: str = "SUCCESS", description: str = "DELIVRD") -> None:
        with self.lock:
            self.reports.append(
                {
                    "UserReceiveTime": "2026-11-30 16:00:05",
                    "CountryCode": "86",
                    "SubscriberNumber": phone[3:],
                    "PhoneNumber": phone,
                    "SerialNo": serial,
                    "ReportStatus": status,
                    "Description": description,
                    "SessionContext": "",
                }
            )

    def reply(self, phone: str, text: str, at: str = "2026-11-30 16:01:00") -> None:
        with self.lock:
            self.replies.append(
                {
                    "ExtendCode": "",
                    "CountryCode": "86",
                    "SubscriberNumber": phone[3:],
                    "PhoneNumber": phone,
                    "SignName": SIGN_NAME,
                    "ReplyContent": text,
                    "ReplyTime": at,
                }
            )

    async def handle(self, request: web.Request) -> web.Response:
        action = request.headers.get("X-TC-Action", "")
        try:
            payload = json.loads(await request.text()) if request.content_type == "application/json" else None
        except ValueError:
            payload = None
        if request.method != "POST" or payload is None or request.headers.get("X-TC-Version") != VERSION:
            return _answer(error=("FailedOperation.FailResolvePacket", "request is not a 2021-01-11 JSON POST"))
        with self.lock:
            self.calls.append((action, payload))
        credential = re.match(r"TC3-HMAC-SHA256 Credential=([^/]+)/", request.headers.get("Authorization", ""))
        if credential is None or credential.group(1) not in self.secret_ids:
            code = "AuthFailure.SecretIdNotFound"
            return _answer(error=(code, MESSAGES[code]))
        if self.error:
            return _answer(error=(self.error, "the stand-in was told to fail"))
        if payload.get("SmsSdkAppId") != self.app_id:
            return _answer(error=("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist"))
        with self.lock:
            if action == "SendSms":
                return self._send(payload)
            if action == "PullSmsSendStatus":
                return _answer(PullSmsSendStatusSet=_take(self.reports, payload))
            if action == "PullSmsReplyStatus":
                return _answer(PullSmsReplyStatusSet=_take(self.replies, payload))
            if action == "PullSmsSendStatusByPhoneNumber":
                found = [_report_of(s) for s in self.sent if s["PhoneNumber"] == payload["PhoneNumber"]]
                return _answer(PullSmsSendStatusSet=found)
        return _answer(error=("InvalidAction", f"no action {action}"))

    def _send(self, payload: dict[str, Any]) -> web.Response:
        numbers = list(payload.get("PhoneNumberSet") or [])
        if not numbers or len(numbers) > 200:
            return _answer(error=("LimitExceeded.PhoneNumberCountLimit", "1 to 200 numbers per request"))
        template = str(payload.get("TemplateId", ""))
        params = list(payload.get("TemplateParamSet") or [])
        for_all = ""
        if self.templates.get(template) != len(params):
            for_all = "FailedOperation.TemplateIncorrectOrUnapproved"
        elif payload.get("SignName") not in self.sign_names:
            for_all = "FailedOperation.SignatureIncorrectOrUnapproved"
        statuses = []
        for number in numbers:
            code = for_all or self.number_errors.get(number, "")
            if not code and not _NUMBER.match(number):
                code = "InvalidParameterValue.IncorrectPhoneNumber"
            serial = "" if code else f"2640:{uuid.uuid4().hex[:20]}"
            status = {
                "SerialNo": serial,
                "PhoneNumber": number,
                "Fee": 0 if code else 1,
                "SessionContext": payload.get("SessionContext", ""),
                "Code": code or "Ok",
                "Message": MESSAGES.get(code, code) if code else "send success",
                "IsoCode": "CN",
            }
            statuses.append(status)
            if not code:
                self.sent.append(status)
        return _answer(SendStatusSet=statuses)


def _report_of(status: dict[str, Any]) -> dict[str, Any]:
    phone = str(status["PhoneNumber"])
    return {
        "UserReceiveTime": "2026-11-30 16:00:05",
        "CountryCode": "86",
        "SubscriberNumber": phone[3:],
        "PhoneNumber": phone,
        "SerialNo": status["SerialNo"],
        "ReportStatus": "SUCCESS",
        "Description": "DELIVRD",
        "SessionContext": status["SessionContext"],
    }


def _take(queue: list[dict[str, Any]], payload: dict[str, Any]) -> list[dict[str, Any]]:
    limit = int(payload.get("Limit") or 0)
    taken = queue[:limit]
    del queue[:limit]
    return taken


def _answer(error: tuple[str, str] | None = None, **fields: Any) -> web.Response:
    body: dict[str, Any] = {"RequestId": str(uuid.uuid4())}
    if error is not None:
        body["Error"] = {"Code": error[0], "Message": error[1]}
    else:
        body.update(fields)
    # Tencent answers "application/json" with no charset, and the SDK reads an Error only under that exact type.
    return web.Response(body=json.dumps({"Response": body}).encode(), headers={"Content-Type": "application/json"})
