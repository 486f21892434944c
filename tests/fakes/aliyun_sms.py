"""A stand-in for Alibaba Cloud SMS's API (Dysmsapi 2017-05-25, dysmsapi.aliyuncs.com) on 127.0.0.1.

Written from Alibaba's documented shapes: an RPC call is a POST to "/" naming its action in x-acs-action, its
parameters in the query, signed with ACS3-HMAC-SHA256 (the stand-in reads the AccessKey ID from the Authorization
header, not the signature). A business answer is HTTP 200 with {"Code": "OK" | an isv./isp. code, "Message",
"RequestId", ...}; a key Alibaba does not know is HTTP 404 {"Code": "InvalidAccessKeyId.NotFound", ...}.
QuerySendDetails answers {"SmsSendDetailDTOs": {"SmsSendDetailDTO": [...]}, "TotalCount"} for a number and day
(and a BizId when given); SendStatus 1 waiting, 2 failed, 3 delivered, as tests set them with `deliver`.

Switches: `key_ids` (keys that exist), `templates` (approved TemplateCode -> its variable names), `sign_names`,
`number_errors` (11-digit number -> code), `error` (a code every call answers with), `strays` (extra records
for a number that are not Linli's).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from aiohttp import web

from tests.fakes.loopback import LoopbackServer

ACCESS_KEY_ID = "LTAI5tFakeAliyunKeyId0123"
ACCESS_KEY_SECRET = "fakeAliyunKeySecret0123456789abc"
SIGN_NAME = "幸福里社区"
VERSION = "2017-05-25"
_NUMBER = re.compile(r"^1\d{10}$")


class FakeAliyunSms(LoopbackServer):
    thread_name = "fake-aliyun-sms"

    def __init__(self) -> None:
        super().__init__()
        self.key_ids = {ACCESS_KEY_ID}
        self.templates: dict[str, set[str]] = {"SMS_100001": set(), "SMS_100002": {"date", "place"}}
        self.sign_names = {SIGN_NAME}
        self.number_errors: dict[str, str] = {}
        self.error = ""
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.records: list[dict[str, Any]] = []  # one per number sent: BizId, PhoneNum, SendStatus, OutId, ...
        self.strays: list[dict[str, Any]] = []

    def __enter__(self) -> FakeAliyunSms:
        self.start()
        return self

    def deliver(self, biz_id: str, status: int = 3, err_code: str = "DELIVERED") -> None:
        with self.lock:
            for record in self.records:
                if record["BizId"] == biz_id:
                    record.update(SendStatus=status, ErrCode=err_code)

    async def handle(self, request: web.Request) -> web.Response:
        action = request.headers.get("x-acs-action", "")
        params = dict(request.query)
        if request.content_type == "application/x-www-form-urlencoded":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        with self.lock:
            self.calls.append((action, params))
        if request.method != "POST" or request.headers.get("x-acs-version") != VERSION:
            return web.json_response(
                {"Code": "InvalidVersion", "Message": "Specified version is not valid."}, status=400
            )
        key = re.match(r"ACS3-HMAC-SHA256 Credential=([^,]+),", request.headers.get("Authorization", ""))
        if key is None or key.group(1) not in self.key_ids:
            return web.json_response(
                {
                    "Code": "InvalidAccessKeyId.NotFound",
                    "Message": "Specified access key is not found.",
                    "RequestId": str(uuid.uuid4()),
                    "HostId": "dysmsapi.aliyuncs.com",
                },
                status=404,
            )
        if self.error:
            return _answer(self.error, "the stand-in was told to fail")
        with self.lock:
            if action == "SendSms":
                numbers = params.get("PhoneNumbers", "").split(",")
                return self._send(numbers, [params.get("SignName", "")] * len(numbers), params, single=True)
            if action == "SendBatchSms":
                numbers = json.loads(params.get("PhoneNumberJson", "[]"))
                signs = json.loads(params.get("SignNameJson", "[]"))
                return self._send(numbers, signs, params, single=False)
            if action == "QuerySendDetails":
                return self._details(params)
        return _answer("InvalidAction.NotFound", f"no action {action}")

    def _send(self, numbers: list[str], signs: list[str], params: dict[str, str], *, single: bool) -> web.Response:
        template = params.get("TemplateCode", "")
        if template not in self.templates:
            return _answer("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
        if single:
            values = [json.loads(params.get("TemplateParam") or "{}")]
        else:
            values = json.loads(params.get("TemplateParamJson") or "[]")
        if len(signs) != len(numbers) or (not single and len(values) != len(numbers)):
            return _answer("isv.INVALID_PARAMETERS", "参数异常")
        if any(set(v) != self.templates[template] for v in values):
            return _answer("isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量")
        if any(sign not in self.sign_names for sign in signs):
            return _answer("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
        for number in numbers:
            code = self.number_errors.get(number) or ("" if _NUMBER.match(number) else "isv.MOBILE_NUMBER_ILLEGAL")
            if code:
                return _answer(code, "非法手机号" if code == "isv.MOBILE_NUMBER_ILLEGAL" else code)
        biz_id = f"{uuid.uuid4().int % 10**15}^0"
        for number, value in zip(numbers, values * len(numbers) if single else values, strict=False):
            self.records.append(
                {
                    "BizId": biz_id,
                    "PhoneNum": number,
                    "SendStatus": 1,
                    "ErrCode": "",
                    "TemplateCode": template,
                    "Content": f"【{signs[0]}】{json.dumps(value, ensure_ascii=False)}",
                    "SendDate": "2026-11-30 16:00:00",
                    "ReceiveDate": "",
                    "OutId": params.get("OutId", ""),
                }
            )
        return _answer("OK", "OK", BizId=biz_id)

    def _details(self, params: dict[str, str]) -> web.Response:
        number, biz_id = params.get("PhoneNumber", ""), params.get("BizId", "")
        found = [r for r in self.records + self.strays if r["PhoneNum"] == number and biz_id in ("", r["BizId"])]
        shown = [{k: v for k, v in r.items() if k != "BizId"} for r in found]
        return _answer("OK", "OK", TotalCount=len(shown), SmsSendDetailDTOs={"SmsSendDetailDTO": shown})


def _answer(code: str, message: str, **fields: Any) -> web.Response:
    return web.json_response({"Code": code, "Message": message, "RequestId": str(uuid.uuid4()), **fields})
