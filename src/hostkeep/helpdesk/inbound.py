"""Mail received by an e-mail service, through django-anymail's inbound webhooks.

anymail's own views check the request (HTTP basic auth with ``ANYMAIL["WEBHOOK_SECRET"]``,
and the service's signature where it signs, e.g. Mailgun's webhook signing key) and turn the
service's payload into an ``AnymailInboundMessage``. Instead of broadcasting it through
anymail's ``inbound`` signal, these subclasses hand each message straight to the same entry as
IMAP mail (``mail_in.mail_receive``), so threading, spoofing, loop and size rules are the same.

URLs: ``/helpdesk/anymail/<service>/inbound/`` for the services in ``INBOUND_VIEWS``. Without a
webhook secret configured they answer 404 (anymail alone would accept unauthenticated posts).
"""

from __future__ import annotations

import logging
from typing import Any

from anymail.exceptions import AnymailConfigurationError
from anymail.inbound import AnymailInboundMessage
from anymail.webhooks.base import AnymailCoreWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sparkpost import SparkPostInboundWebhookView
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt

from hostkeep.helpdesk.mail_in import Outcome, mail_receive
from hostkeep.helpdesk.models import Mailbox

logger = logging.getLogger(__name__)


def _mailbox_for(message: AnymailInboundMessage) -> Mailbox | None:
    """The configured mailbox whose address the mail was sent to (its department receives the
    ticket), if there is one; ``+token`` parts of the address are ignored."""
    candidates = [message.envelope_recipient or ""]
    candidates += [address.addr_spec for address in message.to + message.cc]
    for candidate in candidates:
        local, _, domain = candidate.strip().lower().partition("@")
        if domain:
            found = Mailbox.objects.filter(address__iexact=f"{local.split('+')[0]}@{domain}").first()
            if found is not None:
                return found
    return None


def inbound_message_receive(message: AnymailInboundMessage) -> Outcome:
    """One message from a service's webhook into tickets (never raises for a bad mail)."""
    return mail_receive(raw=message.as_bytes(), mailbox=_mailbox_for(message))


class HelpdeskInboundMixin(AnymailCoreWebhookView):  # type: ignore[misc]
    """Replaces the signal broadcast of anymail's ``post`` with a direct call; validation and
    parsing are anymail's own (``run_validators``, ``parse_events``)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.run_validators(request)
        outcomes = []
        for event in self.parse_events(request):
            outcome = inbound_message_receive(event.message)
            logger.info("inbound mail via %s: %s %s", self.esp_name, outcome.status, outcome.reason)
            outcomes.append({"status": outcome.status, "reason": outcome.reason, "ticket": outcome.ticket_id})
        # 200 even for a refused mail: the service must not send it again.
        return JsonResponse({"received": outcomes})


class MailgunInbound(HelpdeskInboundMixin, MailgunInboundWebhookView):  # type: ignore[misc]
    pass


class PostmarkInbound(HelpdeskInboundMixin, PostmarkInboundWebhookView):  # type: ignore[misc]
    pass


class SparkPostInbound(HelpdeskInboundMixin, SparkPostInboundWebhookView):  # type: ignore[misc]
    pass


INBOUND_VIEWS: dict[str, type[AnymailCoreWebhookView]] = {
    "mailgun": MailgunInbound,
    "postmark": PostmarkInbound,
    "sparkpost": SparkPostInbound,
}


def _not_found() -> JsonResponse:
    return JsonResponse({"error": {"code": "not_found", "message": "not found"}}, status=404)


def _view(view_class: type[AnymailCoreWebhookView]) -> Any:
    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        if not getattr(settings, "ANYMAIL", {}).get("WEBHOOK_SECRET"):
            return _not_found()  # never open to unauthenticated posts
        try:
            handler = view_class.as_view()
            return handler(request)  # type: ignore[no-any-return]
        except AnymailConfigurationError:
            # e.g. Mailgun without its webhook signing key: the service is not set up here.
            logger.warning("inbound mail via %s refused: not configured", view_class.esp_name)
            return _not_found()
        except RequestDataTooBig:
            body = {"error": {"code": "too_large", "message": "the mail is over the size limit"}}
            return JsonResponse(body, status=413)

    return view


urlpatterns: list[URLPattern] = [
    path(f"anymail/{name}/inbound/", _view(view_class), name=f"anymail_inbound_{name}")
    for name, view_class in INBOUND_VIEWS.items()
]
