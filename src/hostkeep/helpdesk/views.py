"""Public endpoints of helpdesk (no session): the inbound mail webhook and the site widget
(its script and its submit). Also the one way an attachment is sent to a browser."""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hostkeep.core.errors import HostkeepError
from hostkeep.helpdesk import storage, widget
from hostkeep.helpdesk.mail_in import mail_receive
from hostkeep.helpdesk.models import Attachment
from hostkeep.helpdesk.selectors import widget_key
from hostkeep.helpdesk.storage import IncomingFile


def incoming_files(request: HttpRequest, field: str = "files") -> list[IncomingFile]:
    """Uploaded files of a form, read into memory (the upload size is limited by Django's
    DATA_UPLOAD settings and then by ``storage.check_files``)."""
    uploads: list[UploadedFile[bytes]] = request.FILES.getlist(field)
    return [IncomingFile(item.name or "attachment", item.content_type or "", item.read()) for item in uploads]


def attachment_response(attachment: Attachment) -> FileResponse:
    """Always a download (never rendered by the browser), with the type sniffing switched off."""
    response = FileResponse(
        storage.path_of(attachment.storage_path).open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@csrf_exempt
@require_POST
def inbound_mail(request: HttpRequest, secret: str) -> HttpResponse:
    """A mail service POSTs one raw MIME message (body, or a ``message`` upload); parsed with
    django-anymail's inbound message class. The secret in the URL is the credential."""
    expected = settings.HELPDESK_INBOUND_SECRET
    if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
        return JsonResponse({"error": {"code": "not_found", "message": "not found"}}, status=404)
    upload = request.FILES.get("message")
    raw = upload.read(settings.HELPDESK_MAIL_MAX_BYTES + 1) if upload else request.body
    outcome = mail_receive(raw=raw)
    # 200 even for a refused mail: the service must not retry it.
    return JsonResponse({"status": outcome.status, "reason": outcome.reason, "ticket": outcome.ticket_id})


def _cors(response: HttpResponse, origin: str) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = origin
    response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Vary"] = "Origin"
    return response


@require_GET
def widget_script(request: HttpRequest, key: str) -> HttpResponse:
    found = widget_key(key)
    if found is None:
        return HttpResponse("/* unknown widget key */", content_type="text/javascript", status=404)
    submit = request.build_absolute_uri(reverse("helpdesk:widget_submit", args=[found.key]))
    script = render_to_string(
        "helpdesk/widget.js",
        {
            "submit_url": json.dumps(submit),
            "texts": json.dumps(
                {
                    "title": _("Contact support"),
                    "name": _("Your name"),
                    "email": _("Your e-mail"),
                    "subject": _("Subject"),
                    "message": _("Message"),
                    "send": _("Send"),
                    "sent": _("Thank you: your request is received and we will answer by e-mail."),
                    "failed": _("Your request could not be sent."),
                }
            ),
        },
    )
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def widget_submit(request: HttpRequest, key: str) -> HttpResponse:
    """A visitor of a customer's site opens a ticket: only from the key's allowed origins,
    at most a few per hour per key and address."""
    found = widget_key(key)
    origin = request.headers.get("Origin", "").rstrip("/")
    if found is None or origin not in found.origins():
        return JsonResponse({"error": {"code": "forbidden", "message": _("Not allowed here.")}}, status=403)
    if request.method == "OPTIONS":
        return _cors(HttpResponse(status=204), origin)
    address = request.META.get("REMOTE_ADDR", "")
    counter = f"helpdesk-widget:{found.pk}:{address}"
    cache.add(counter, 0, timeout=3600)
    if cache.incr(counter) > found.rate_per_hour():
        body = {"error": {"code": "rate_limited", "message": _("Too many requests; try again later.")}}
        return _cors(JsonResponse(body, status=429), origin)
    try:
        payload = json.loads(request.body or b"{}")
        ticket = widget.widget_ticket_open(key=found, payload=payload if isinstance(payload, dict) else {})
    except ValueError:
        body = {"error": {"code": "bad_request", "message": _("Some values are not valid.")}}
        return _cors(JsonResponse(body, status=400), origin)
    except HostkeepError as error:
        return _cors(JsonResponse(error.as_dict(), status=error.status), origin)
    return _cors(JsonResponse({"ticket": ticket.pk}, status=201), origin)
