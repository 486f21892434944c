"""Tencent Cloud SMS (腾讯云短信): `kind = "tencent"`, approved templates only, through tencentcloud-sdk-python-sms.

    [gateways.tencent]
    kind = "tencent"
    secret_id = "AKID..."          # or leave both out and set TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY
    secret_key = "..."
    sdk_app_id = "1400000000"      # the SMS application's SdkAppId
    sign_name = "幸福里社区"         # the approved signature, without 【】
    templates = "templates-tencent.toml"
    endpoint = ""                  # optional: another API host (tests point it at a stand-in, http://127.0.0.1:PORT)

Decisions
- SendSms takes up to 200 numbers when the template and its parameters are the same: `send_batch` groups messages
  that way (a check-in prompt to a whole building is one request per 200). The dispatcher sends one message at a
  time through `send`, which is `send_batch` of one; each number's own answer (SendStatusSet) decides its message,
  so one refused number does not fail the others.
- Parameters go in the template's declared order (TemplateParamSet is a list, the template numbers its
  placeholders {1}, {2}, ...): the order of the message's parameters, which kit.message_kinds declares.
- No public URL is needed: the runtime's `poll` pulls delivery reports (PullSmsSendStatus) and replies
  (PullSmsReplyStatus), at most 100 records a call, a few calls per poll. Both are queues on Tencent's side but
  may hand a record twice: a report is applied through kit.outbox.record_status (once per message and status), a
  reply is stored through sms.router.receive under an id made from its number, time, text and extension code, so
  a second copy is not stored again. A report for a serial number Linli never sent is logged once and ignored.
  Pulling must be enabled for the application in Tencent's console ("联系腾讯云短信小助手开通").
- After a crash (`find_sent`): each request carries SessionContext "linli:<message ids>", and Tencent's per-number
  report (PullSmsSendStatusByPhoneNumber) gives it back. Reports arrive within minutes; for SETTLE after the claim
  "cannot tell yet" (a transient GatewayError), then None: queue it again. A batch too large for the ids to fit in
  SessionContext's 512 bytes cannot be found this way (the dispatcher sends one at a time, so it never is one).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from kit import outbox
from kit.clock import utcnow
from kit.config import Settings
from kit.errors import ConfigError
from kit.gateway import GatewayError, Outgoing, SendResult
from sms.gateways.cloud_sms import (
    CloudAccount,
    OnceLog,
    Refusal,
    account,
    check_keys,
    chunks_of_distinct_peers,
    quiet_sdk_loggers,
    refusal_of,
    refused,
    secret_setting,
    stable_id,
    template_of,
    text_setting,
)
from sms.webhooks import Receive, RecordStatus

log = logging.getLogger(__name__)

KIND = "tencent"
PROVIDER = "Tencent Cloud"
KEYS = ("secret_id", "secret_key", "sdk_app_id", "sign_name", "templates", "endpoint", "region", "timeout")
ENV_ID, ENV_KEY = "TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY"
HOST = "sms.tencentcloudapi.com"
REGION = "ap-guangzhou"
BATCH = 200  # numbers per SendSms
PULL_LIMIT = 100  # records per PullSmsSendStatus / PullSmsReplyStatus
PULLS_PER_POLL = 10
SETTLE = timedelta(minutes=10)
CONTEXT_BYTES = 500  # SessionContext must stay under 512 bytes
SETTINGS = f"secret_id / secret_key (or {ENV_ID} / {ENV_KEY}), sdk_app_id"
REPORT_STATUS = {"SUCCESS": "delivered", "FAIL": "undelivered"}

_KEY = Refusal(permanent=True, problem="key")
_TEMPLATE = Refusal(permanent=True, problem="template")
_NUMBER = Refusal(permanent=True, problem="number")
_LIMIT = Refusal(permanent=False, problem="limit")
# Tencent's documented codes (SMS API 3.0 error codes and the common ones).
CODES: dict[str, Refusal] = {
    "AuthFailure.SecretIdNotFound": _KEY,
    "AuthFailure.InvalidSecretId": _KEY,
    "AuthFailure.SignatureFailure": _KEY,
    "AuthFailure.InvalidAuthorization": _KEY,
    "AuthFailure.TokenFailure": _KEY,
    "AuthFailure.UnauthorizedOperation": _KEY,
    "AuthFailure.SignatureExpire": Refusal(permanent=False, problem="clock"),
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": _KEY,
    "InvalidParameterValue.SdkAppIdNotExist": _KEY,
    "FailedOperation.TemplateIncorrectOrUnapproved": _TEMPLATE,
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": _TEMPLATE,
    "FailedOperation.TemplateUnapprovedOrNotExist": _TEMPLATE,
    "InvalidParameterValue.TemplateParameterFormatError": _TEMPLATE,
    "InvalidParameterValue.TemplateParameterLengthLimit": _TEMPLATE,
    "InvalidParameterValue.ContentLengthLimit": _TEMPLATE,
    "FailedOperation.ContainSensitiveWord": _TEMPLATE,
    "FailedOperation.SignatureIncorrectOrUnapproved": Refusal(permanent=True, problem="sign"),
    "InvalidParameterValue.IncorrectPhoneNumber": _NUMBER,
    "FailedOperation.PhoneNumberInBlacklist": _NUMBER,
    "FailedOperation.PhoneNumberOnBlacklist": _NUMBER,
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber": _NUMBER,
    "FailedOperation.InsufficientBalanceInSmsPackage": Refusal(permanent=False, problem="balance"),
}
PREFIXES: dict[str, Refusal] = {
    "AuthFailure": _KEY,
    "UnauthorizedOperation": _KEY,
    "LimitExceeded": _LIMIT,
    "RequestLimitExceeded": _LIMIT,
    "InternalError": Refusal(permanent=False, problem="provider"),
    "InvalidParameter": Refusal(permanent=True),
    "MissingParameter": Refusal(permanent=True),
    "FailedOperation": Refusal(permanent=True),
}


def build(name: str, options: Mapping[str, Any], settings: Settings) -> TencentGateway:
    """The gateway for [gateways.NAME]; one ConfigError line naming the setting when one is wrong or missing."""
    where = f"gateways.{name}"
    check_keys(where, options, KEYS, KIND)
    app_id = text_setting(where, options, "sdk_app_id")
    if not app_id.isdigit():
        raise ConfigError("tencent.sdk_app_id", where=where)
    cloud = account(
        where,
        options,
        KIND,
        key_id=secret_setting(where, options, "secret_id", ENV_ID, "tencent_key_id"),
        secret=secret_setting(where, options, "secret_key", ENV_KEY, "tencent_secret"),
        default_host=HOST,
    )
    region = text_setting(where, options, "region", default=REGION)
    return TencentGateway(name, cloud, app_id, region)


class TencentGateway:
    """kit.gateway.Gateway for Tencent Cloud SMS, plus `send_batch` and `poll`."""

    channel = "sms"
    kind = KIND
    template_only = True

    def __init__(self, name: str, cloud: CloudAccount, app_id: str, region: str = REGION, client: Any = None) -> None:
        self.name = name
        self.cloud = cloud
        self.app_id = app_id
        self.region = region
        self._client = client
        self._unknown = OnceLog()

    @property
    def client(self) -> Any:
        if self._client is None:
            from tencentcloud.common import credential
            from tencentcloud.common.profile.client_profile import ClientProfile
            from tencentcloud.common.profile.http_profile import HttpProfile
            from tencentcloud.sms.v20210111.sms_client import SmsClient

            quiet_sdk_loggers()
            http = HttpProfile(protocol=self.cloud.scheme, endpoint=self.cloud.host, reqTimeout=int(self.cloud.timeout))
            profile = ClientProfile(httpProfile=http)
            profile.disable_region_breaker = True  # one endpoint: never switch to a backup host
            self._client = SmsClient(credential.Credential(self.cloud.key_id, self.cloud.secret), self.region, profile)
        return self._client

    # --- sending ----------------------------------------------------------------------------------------------

    def send(self, message: Outgoing) -> SendResult:
        result = self.send_batch([message])[0]
        if isinstance(result, GatewayError):
            raise result
        return result

    def send_batch(self, messages: Sequence[Outgoing]) -> list[SendResult | GatewayError]:
        """Send each message, up to 200 numbers per request for the same template and parameters; one result per
        message, in order: its SendResult, or the GatewayError that says why it was not sent."""
        results: dict[int, SendResult | GatewayError] = {}
        groups: dict[tuple[str, tuple[str, ...]], list[Outgoing]] = {}
        for message in messages:
            try:
                template_id, params = template_of(self.name, self.cloud, message)
            except GatewayError as error:
                results[id(message)] = error
                continue
            groups.setdefault((template_id, tuple(params.values())), []).append(message)
        for (template_id, values), members in groups.items():
            for chunk in chunks_of_distinct_peers(members, BATCH):
                results.update(self._send_chunk(template_id, list(values), chunk))
        return [results[id(message)] for message in messages]

    def _send_chunk(
        self, template_id: str, params: list[str], chunk: list[Outgoing]
    ) -> dict[int, SendResult | GatewayError]:
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.SmsSdkAppId = self.app_id
        request.SignName = self.cloud.sign_name
        request.TemplateId = template_id
        request.TemplateParamSet = params
        request.PhoneNumberSet = [m.peer for m in chunk]
        request.SessionContext = session_context(chunk)
        try:
            answer = self._call("SendSms", request)
        except GatewayError as error:
            return {id(m): error for m in chunk}
        by_number = {str(s.PhoneNumber or ""): s for s in answer.SendStatusSet or []}
        out: dict[int, SendResult | GatewayError] = {}
        for message in chunk:
            status = by_number.get(message.peer)
            if status is None:
                out[id(message)] = GatewayError(
                    f"{PROVIDER} gateway {self.name} gave no answer for message {message.message_id}", code="no_answer"
                )
            elif str(status.Code) == "Ok":
                out[id(message)] = SendResult(provider_id=str(status.SerialNo), status="sent")
            else:
                out[id(message)] = self._refused(str(status.Code), str(status.Message or ""))
        return out

    def _call(self, action: str, request: Any) -> Any:
        """One API call; GatewayError (mapped from Tencent's code) when it fails."""
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

        try:
            return getattr(self.client, action)(request)
        except TencentCloudSDKException as error:
            code = str(error.get_code() or "")
            if code in ("ClientNetworkError", "ServerNetworkError"):
                raise GatewayError(
                    f"{PROVIDER} gateway {self.name} could not be reached at {self.cloud.host}", code="unreachable"
                ) from None
            raise self._refused(code, str(error.get_message() or "")) from None

    def _refused(self, code: str, said: str) -> GatewayError:
        return refused(self.name, PROVIDER, code, said, refusal_of(code, CODES, PREFIXES), settings=SETTINGS)

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        """The serial number of this message if Tencent reports having it (see the module's Decisions)."""
        from tencentcloud.sms.v20210111 import models

        request = models.PullSmsSendStatusByPhoneNumberRequest()
        request.BeginTime = int((since - datetime(1970, 1, 1)).total_seconds())
        request.EndTime = int((utcnow() - datetime(1970, 1, 1)).total_seconds()) + 60
        request.Offset = 0
        request.Limit = PULL_LIMIT
        request.PhoneNumber = message.peer
        request.SmsSdkAppId = self.app_id
        answer = self._call("PullSmsSendStatusByPhoneNumber", request)
        for record in answer.PullSmsSendStatusSet or []:
            if message.message_id in context_ids(str(record.SessionContext or "")):
                return str(record.SerialNo)
        if utcnow() - since < SETTLE + timedelta(minutes=1):
            raise GatewayError(
                f"waiting for {PROVIDER} gateway {self.name}'s report on message {message.message_id}",
                code="unsettled",
            )
        return None

    # --- polling ----------------------------------------------------------------------------------------------

    def poll(self, receive: Receive, record_status: RecordStatus | None = None) -> int:
        """Apply the delivery reports and store the replies Tencent holds; returns how many replies were new.
        GatewayError when Tencent cannot be asked (what was pulled is already applied)."""
        self.pull_reports(record_status or outbox.record_status)
        return self.pull_replies(receive)

    def pull_reports(self, record_status: RecordStatus) -> int:
        """Apply delivery reports; returns how many were for messages Linli knows."""
        from tencentcloud.sms.v20210111 import models

        applied = 0
        for _ in range(PULLS_PER_POLL):
            request = models.PullSmsSendStatusRequest()
            request.Limit, request.SmsSdkAppId = PULL_LIMIT, self.app_id
            records = self._call("PullSmsSendStatus", request).PullSmsSendStatusSet or []
            for record in records:
                applied += self._report(record, record_status)
            if len(records) < PULL_LIMIT:
                break
        return applied

    def _report(self, record: Any, record_status: RecordStatus) -> int:
        serial = str(record.SerialNo or "")
        status = REPORT_STATUS.get(str(record.ReportStatus or ""))
        if not serial or status is None:
            self._unknown.info(
                f"odd:{serial}", "gateway %s: a delivery report Linli cannot read was ignored", self.name
            )
            return 0
        failed = status != "delivered"
        found = record_status(
            serial,
            status,
            gateway=self.name,
            error_code=str(record.Description or "") if failed else "",
            error=str(record.Description or "") if failed else "",
        )
        if found is None:
            self._unknown.info(
                serial,
                "gateway %s: a delivery report for %s, a message Linli does not know, was ignored",
                self.name,
                serial,
            )
            return 0
        return 1

    def pull_replies(self, receive: Receive) -> int:
        from tencentcloud.sms.v20210111 import models

        new = 0
        for _ in range(PULLS_PER_POLL):
            request = models.PullSmsReplyStatusRequest()
            request.Limit, request.SmsSdkAppId = PULL_LIMIT, self.app_id
            records = self._call("PullSmsReplyStatus", request).PullSmsReplyStatusSet or []
            for record in records:
                new += self._reply(record, receive)
            if len(records) < PULL_LIMIT:
                break
        return new

    def _reply(self, record: Any, receive: Receive) -> int:
        peer = str(record.PhoneNumber or "")
        body = str(record.ReplyContent or "")
        if not peer:
            self._unknown.info("reply-without-number", "gateway %s: a reply without a number was ignored", self.name)
            return 0
        key = stable_id("tencent", peer, str(record.ReplyTime or ""), body, str(record.ExtendCode or ""))
        _, created = receive(self.name, key, peer, body)
        return int(created)


def session_context(chunk: Sequence[Outgoing]) -> str:
    """ "linli:<id>,<id>,..." for the messages of one request, or "" when they do not fit in SessionContext."""
    text = "linli:" + ",".join(str(m.message_id) for m in chunk)
    return text if len(text.encode()) <= CONTEXT_BYTES else ""


def context_ids(text: str) -> set[int]:
    if not text.startswith("linli:"):
        return set()
    return {int(part) for part in text[len("linli:") :].split(",") if part.isdigit()}
