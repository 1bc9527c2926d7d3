"""Public endpoints of payments: the notification URL every gateway account posts to. No
session, no CSRF (gateways cannot send a token); trust comes from each gateway's verification."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hostkeep.payments.actions import notification_receive
from hostkeep.payments.interface import IncomingRequest


def _source_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


@csrf_exempt
@require_POST
def gateway_notify(request: HttpRequest, account_id: int) -> HttpResponse:
    incoming = IncomingRequest(
        method=request.method or "POST",
        path=request.path,
        headers={name.lower(): value for name, value in request.headers.items()},
        body=request.body,
        source_ip=_source_ip(request),
        query={key: str(value) for key, value in request.GET.items()},
    )
    status, body = notification_receive(account_id=account_id, request=incoming)
    return HttpResponse(body, status=status, content_type="text/plain")
