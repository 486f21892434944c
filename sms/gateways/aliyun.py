"""Alibaba Cloud SMS (阿里云短信服务, Dysmsapi 2017-05-25): `kind = "aliyun"`, approved templates only, through
alibabacloud-dysmsapi20170525.

    [gateways.aliyun]
    kind = "aliyun"
    access_key_id = "LTAI..."      # or leave both out and set ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET
    access_key_secret = "..."
    sign_name = "幸福里社区"         # the approved signature, without 【】
    templates = "templates-aliyun.toml"
    endpoint = ""                  # optional: another API host (tests: http://127.0.0.1:PORT)
    push_token = ""                # optional: replies (上行) and reports by HTTP push (aliyun_routes.py)

Decisions
- `send` is SendSms with OutId "linli:<message id>"; `send_batch` groups by template, up to 100 numbers per
  SendBatchSms (each number with its own parameters, all with our signature). A batch is taken or refused whole
  (one BizId, one code), so a refused batch fails each of its messages with the same error.
- TemplateParam is a JSON object of the message's named parameters (Alibaba names its variables ${name}).
- Status: `poll` asks QuerySendDetails for this gateway's messages still 'sent' (a bounded number per poll, going
  round them oldest first, so a message whose report never comes does not hold the others back), by number, day
  (China time) and BizId, and applies 3 (delivered) and 2 (failed) through
  kit.outbox.record_status (once per message and status). A record on the page whose OutId is not the message's
  is ignored and logged once.
- Replies come only by HTTP push (Alibaba's message queue, MNS, would need its own SDK and keys): with
  `push_token` set, the server takes Alibaba's SmsUp and SmsReport pushes at /aliyun/NAME/up and
  /aliyun/NAME/report (see aliyun_routes.py). Alibaba says receipts may come more than once: a reply is stored
  under its sequence_id (or a digest of number, time and text), so a second copy is not stored again.
- After a crash (`find_sent`): QuerySendDetails by number and day finds the OutId. Reports take a little while;
  for SETTLE after the claim "cannot tell yet", then None.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kit import outbox
from kit.clock import utcnow
from kit.config import Settings
from kit.errors import ConfigError
from kit.gateway import GatewayError, Outgoing, SendResult
from kit.localtime import local_date
from kit.models import Message
from sms.gateways.cloud_sms import (
    CloudAccount,
    OnceLog,
    Refusal,
    account,
    check_keys,
    china_digits,
    chunks_of_distinct_peers,
    quiet_sdk_loggers,
    refusal_of,
    refused,
    secret_setting,
    template_of,
    text_setting,
)
from sms.webhooks import Receive, RecordStatus

log = logging.getLogger(__name__)

KIND = "aliyun"
PROVIDER = "Alibaba Cloud"
KEYS = ("access_key_id", "access_key_secret", "sign_name", "templates", "endpoint", "timeout", "push_token")
ENV_ID, ENV_KEY = "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
HOST = "dysmsapi.aliyuncs.com"
CHINA = ZoneInfo("Asia/Shanghai")  # QuerySendDetails' SendDate is a day in China time
BATCH = 100  # numbers per SendBatchSms
CHECKS_PER_POLL = 50
LOOKBACK = timedelta(days=2)
SETTLE = timedelta(minutes=10)
MIN_TOKEN = 32
SETTINGS = f"access_key_id / access_key_secret (or {ENV_ID} / {ENV_KEY})"
SEND_STATUS = {"3": "delivered", "2": "undelivered"}  # 1: waiting for the report

_KEY = Refusal(permanent=True, problem="key")
_TEMPLATE = Refusal(permanent=True, problem="template")
_SIGN = Refusal(permanent=True, problem="sign")
_NUMBER = Refusal(permanent=True, problem="number")
_LIMIT = Refusal(permanent=False, problem="limit")
_BALANCE = Refusal(permanent=False, problem="balance")
# Alibaba's documented codes (国内消息 API 错误码, and the gateway's own for keys and signing).
CODES: dict[str, Refusal] = {
    "InvalidAccessKeyId.NotFound": _KEY,
    "InvalidAccessKeyId.Inactive": _KEY,
    "SignatureDoesNotMatch": _KEY,
    "IncompleteSignature": _KEY,
    "InvalidCredentials": _KEY,
    "isv.ACCOUNT_NOT_EXISTS": _KEY,
    "isv.ACCOUNT_ABNORMAL": _KEY,
    "isp.RAM_PERMISSION_DENY": _KEY,
    "isv.PRODUCT_UN_SUBSCRIPT": _KEY,
    "isv.PRODUCT_UNSUBSCRIBE": _KEY,
    "InvalidTimeStamp.Expired": Refusal(permanent=False, problem="clock"),
    "isv.SMS_TEMPLATE_ILLEGAL": _TEMPLATE,
    "isv.TEMPLATE_MISSING_PARAMETERS": _TEMPLATE,
    "isv.TEMPLATE_PARAMS_ILLEGAL": _TEMPLATE,
    "isv.INVALID_JSON_PARAM": _TEMPLATE,
    "isv.PARAM_LENGTH_LIMIT": _TEMPLATE,
    "isv.SMS_CONTENT_ILLEGAL": _TEMPLATE,
    "isv.BLACK_KEY_CONTROL_LIMIT": _TEMPLATE,
    "isv.SMS_SIGNATURE_ILLEGAL": _SIGN,
    "isv.SMS_SIGN_ILLEGAL": _SIGN,
    "isv.SIGN_STATE_ILLEGAL": _SIGN,
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": _SIGN,
    "isv.MOBILE_NUMBER_ILLEGAL": _NUMBER,
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": _NUMBER,
    "isv.MOBILE_COUNT_OVER_LIMIT": Refusal(permanent=True),
    "isv.DENY_IP_RANGE": Refusal(permanent=True),
    "isv.BUSINESS_LIMIT_CONTROL": _LIMIT,
    "isv.DAY_LIMIT_CONTROL": _LIMIT,
    "isv.MONTH_LIMIT_CONTROL": _LIMIT,
    "isv.OUT_OF_SERVICE": _BALANCE,
    "isv.AMOUNT_NOT_ENOUGH": _BALANCE,
}
PREFIXES: dict[str, Refusal] = {
    "InvalidAccessKeyId": _KEY,
    "Forbidden": _KEY,
    "Throttling": _LIMIT,
    "isp.": Refusal(permanent=False, problem="provider"),
    "isv.": Refusal(permanent=True),
}


def build(name: str, options: Mapping[str, Any], settings: Settings) -> AliyunGateway:
    """The gateway for [gateways.NAME]; one ConfigError line naming the setting when one is wrong or missing."""
    where = f"gateways.{name}"
    check_keys(where, options, KEYS, KIND)
    cloud = account(
        where,
        options,
        KIND,
        key_id=secret_setting(where, options, "access_key_id", ENV_ID, "aliyun_key_id"),
        secret=secret_setting(where, options, "access_key_secret", ENV_KEY, "aliyun_secret"),
        default_host=HOST,
    )
    token = text_setting(where, options, "push_token")
    if token and (len(token) < MIN_TOKEN or not token.replace("-", "").replace("_", "").isalnum()):
        raise ConfigError("gateway.weak_token", setting=f"{where}.push_token", min=MIN_TOKEN)
    return AliyunGateway(name, cloud, push_token=token)


class AliyunGateway:
    """kit.gateway.Gateway for Alibaba Cloud SMS, plus `send_batch` and `poll` (delivery status)."""

    channel = "sms"
    kind = KIND
    template_only = True

    def __init__(self, name: str, cloud: CloudAccount, *, push_token: str = "", client: Any = None) -> None:
        self.name = name
        self.cloud = cloud
        self.push_token = push_token
        self._client = client
        self._after = 0  # the last row asked about: each poll goes on from there, so no row waits behind others
        self.unknown = OnceLog()

    @property
    def client(self) -> Any:
        if self._client is None:
            from alibabacloud_dysmsapi20170525.client import Client
            from alibabacloud_tea_openapi.models import Config

            quiet_sdk_loggers()
            config = Config(
                access_key_id=self.cloud.key_id,
                access_key_secret=self.cloud.secret,
                endpoint=self.cloud.host,
                protocol=self.cloud.scheme,
            )
            self._client = Client(config)
        return self._client

    # --- sending ----------------------------------------------------------------------------------------------

    def send(self, message: Outgoing) -> SendResult:
        from alibabacloud_dysmsapi20170525 import models

        template_id, params = template_of(self.name, self.cloud, message)
        request = models.SendSmsRequest(
            phone_numbers=china_digits(message.peer),
            sign_name=self.cloud.sign_name,
            template_code=template_id,
            template_param=json.dumps(params, ensure_ascii=False),
            out_id=f"linli:{message.message_id}",
        )
        body = self._call("send_sms_with_options", request)
        return SendResult(provider_id=str(body.biz_id), status="sent")

    def send_batch(self, messages: Sequence[Outgoing]) -> list[SendResult | GatewayError]:
        """One result per message, in order. Up to 100 numbers of one template per SendBatchSms."""
        results: dict[int, SendResult | GatewayError] = {}
        groups: dict[str, list[tuple[Outgoing, dict[str, str]]]] = {}
        for message in messages:
            try:
                template_id, params = template_of(self.name, self.cloud, message)
            except GatewayError as error:
                results[id(message)] = error
                continue
            groups.setdefault(template_id, []).append((message, params))
        for template_id, members in groups.items():
            params_of = {id(m): p for m, p in members}
            for chunk in chunks_of_distinct_peers([m for m, _ in members], BATCH):
                results.update(self._send_chunk(template_id, [(m, params_of[id(m)]) for m in chunk]))
        return [results[id(message)] for message in messages]

    def _send_chunk(
        self, template_id: str, chunk: list[tuple[Outgoing, dict[str, str]]]
    ) -> dict[int, SendResult | GatewayError]:
        from alibabacloud_dysmsapi20170525 import models

        request = models.SendBatchSmsRequest(
            phone_number_json=json.dumps([china_digits(m.peer) for m, _ in chunk]),
            sign_name_json=json.dumps([self.cloud.sign_name] * len(chunk), ensure_ascii=False),
            template_code=template_id,
            template_param_json=json.dumps([p for _, p in chunk], ensure_ascii=False),
        )
        try:
            body = self._call("send_batch_sms_with_options", request)
        except GatewayError as error:
            return {id(m): error for m, _ in chunk}
        return {id(m): SendResult(provider_id=f"{body.biz_id}/{china_digits(m.peer)}") for m, _ in chunk}

    def _call(self, method: str, request: Any) -> Any:
        """One API call's body; GatewayError (mapped from Alibaba's code) when it fails or the body says so."""
        from darabonba.runtime import RuntimeOptions

        timeout = int(self.cloud.timeout * 1000)
        runtime = RuntimeOptions(autoretry=False, read_timeout=timeout, connect_timeout=timeout)
        try:
            body = getattr(self.client, method)(request, runtime).body
        except Exception as error:  # the SDK raises its own classes, or the HTTP library's wrapped: both mapped
            code = getattr(error, "code", None)
            if not code:
                raise GatewayError(
                    f"{PROVIDER} gateway {self.name} could not be reached at {self.cloud.host}", code="unreachable"
                ) from None
            raise self._refused(str(code), str(getattr(error, "message", "") or "")) from None
        code = str(getattr(body, "code", "") or "")
        if code != "OK":
            raise self._refused(code or "no_code", str(getattr(body, "message", "") or ""))
        return body

    def _refused(self, code: str, said: str) -> GatewayError:
        return refused(self.name, PROVIDER, code, said, refusal_of(code, CODES, PREFIXES), settings=SETTINGS)

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        """The BizId-less id "out:<message id>" if Alibaba reports this message (see the module's Decisions)."""
        days = {local_date(since, CHINA), local_date(utcnow(), CHINA)}
        for day in sorted(days):
            for record in self.details(message.peer, day.strftime("%Y%m%d"), biz_id=""):
                if str(record.out_id or "") == f"linli:{message.message_id}":
                    return f"out:{message.message_id}"
        if utcnow() - since < SETTLE + timedelta(minutes=1):
            raise GatewayError(
                f"waiting for {PROVIDER} gateway {self.name}'s report on message {message.message_id}",
                code="unsettled",
            )
        return None

    def details(self, peer: str, day: str, *, biz_id: str) -> list[Any]:
        """QuerySendDetails' records for one number and day (China time), of one BizId when given."""
        from alibabacloud_dysmsapi20170525 import models

        request = models.QuerySendDetailsRequest(
            phone_number=china_digits(peer), send_date=day, page_size=50, current_page=1, biz_id=biz_id or None
        )
        body = self._call("query_send_details_with_options", request)
        dtos = getattr(body, "sms_send_detail_dtos", None)
        return list(getattr(dtos, "sms_send_detail_dto", None) or [])

    # --- polling ----------------------------------------------------------------------------------------------

    def poll(self, receive: Receive, record_status: RecordStatus | None = None) -> int:
        """Ask for the delivery status of this gateway's messages still 'sent'; replies come by push, so no message
        is new here (returns 0). GatewayError when Alibaba cannot be asked."""
        statuses = record_status or outbox.record_status
        rows = (
            Message.select()
            .where(
                (Message.direction == "out")
                & (Message.gateway == self.name)
                & (Message.status == "sent")
                & (Message.sent_at >= utcnow() - LOOKBACK)
                & (Message.id > self._after)
            )
            .order_by(Message.id)
            .limit(CHECKS_PER_POLL)
        )
        found = list(rows)
        for row in found:
            self._check(row, statuses)
            self._after = row.id
        if len(found) < CHECKS_PER_POLL:
            self._after = 0  # the end: the next poll starts again from the oldest
        return 0

    def _check(self, row: Message, record_status: RecordStatus) -> None:
        provider_id = str(row.provider_id or "")
        biz_id = "" if provider_id.startswith("out:") else provider_id.split("/", 1)[0]
        day = local_date(row.sent_at, CHINA).strftime("%Y%m%d")
        for record in self.details(row.peer, day, biz_id=biz_id):
            out_id = str(record.out_id or "")
            if out_id and out_id != f"linli:{row.id}":
                self.unknown.info(
                    f"{row.id}:{out_id}",
                    "gateway %s: a send record Linli does not know (%s) was ignored",
                    self.name,
                    out_id[:40],
                )
                continue
            status = SEND_STATUS.get(str(record.send_status or ""))
            if status is not None:
                failed = status != "delivered"
                record_status(
                    provider_id,
                    status,
                    gateway=self.name,
                    error_code=str(record.err_code or "") if failed else "",
                    error=str(record.err_code or "") if failed else "",
                )


def mount(app: Any, gateway: AliyunGateway, context: Any) -> None:
    """Adds the SmsUp / SmsReport push routes when the gateway has a push_token (else replies are not taken)."""
    if not gateway.push_token:
        return
    from sms.gateways.aliyun_routes import AliyunRoutes  # it imports this module
    from sms.webhooks import with_sms_handlers

    AliyunRoutes(gateway, with_sms_handlers(context)).add_to(app)
