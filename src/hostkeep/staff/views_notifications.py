"""Staff pages of notifications: the staff member's own notification centre, the delivery
log, the template editor with preview, outgoing webhooks and chat channels, the SMS and
Telegram accounts, and the allow-list of private hosts. Thin views over notifications'
selectors and actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hostkeep.accounts.choices import Language
from hostkeep.accounts.middleware import ActorRequest
from hostkeep.accounts.permissions import StaffPermission
from hostkeep.core.errors import HostkeepError
from hostkeep.notifications import actions, selectors
from hostkeep.notifications.catalogue import EVENT_TYPES
from hostkeep.notifications.channels import channels
from hostkeep.notifications.choices import DeliveryStatus, EndpointKind
from hostkeep.staff.views import staff_page


@staff_page
def notifications(request: ActorRequest) -> HttpResponse:
    user = selectors.actor_user(request.actor)
    if request.method == "POST":
        actions.notifications_mark_read(user=user)
        return redirect("staff:notifications")
    page = Paginator(selectors.inbox_for_user(user), 30).get_page(request.GET.get("page"))
    return render(request, "staff/notifications.html", {"page": page, "unread": selectors.unread_count(user)})


@staff_page
def delivery_log(request: ActorRequest) -> HttpResponse:
    filters = {key: request.GET.get(key, "") for key in ("status", "channel", "topic")}
    rows = selectors.deliveries_for_staff(request.actor, **filters)
    context = {
        "page": Paginator(rows, 50).get_page(request.GET.get("page")),
        "filters": filters,
        "statuses": DeliveryStatus.choices,
        "channels": channels.choices(),
        "topics": sorted(EVENT_TYPES),
    }
    return render(request, "staff/notifications_log.html", context)


@staff_page
@require_POST
def delivery_retry(request: ActorRequest, delivery_id: int) -> HttpResponse:
    actions.delivery_retry(actor=request.actor, delivery_id=delivery_id)
    messages.success(request, _("The message is queued again."))
    return redirect("staff:notification_log")


@staff_page
def templates(request: ActorRequest) -> HttpResponse:
    context = {"events": selectors.templates_overview(request.actor), "channels": channels.choices()}
    return render(request, "staff/notifications_templates.html", context)


@staff_page
def template_edit(request: ActorRequest, topic: str, channel: str, language: str) -> HttpResponse:
    if topic not in EVENT_TYPES or channel not in channels or language not in Language.values:
        raise Http404
    stored = selectors.template_for_staff(request.actor, topic=topic, channel=channel, language=language)
    fields = {
        "subject": request.POST.get("subject", stored.subject if stored else ""),
        "body_text": request.POST.get("body_text", stored.body_text if stored else ""),
        "body_html": request.POST.get("body_html", stored.body_html if stored else ""),
    }
    error = None
    status = 200
    if request.method == "POST" and request.POST.get("do") in {"save", "reset"}:
        try:
            if request.POST["do"] == "reset":
                actions.template_reset(actor=request.actor, topic=topic, channel=channel, language=language)
            else:
                actions.template_save(actor=request.actor, topic=topic, channel=channel, language=language, **fields)
        except HostkeepError as refused:
            error, status = refused, refused.status
        else:
            messages.success(request, _("Template saved."))
            return redirect("staff:notification_template", topic=topic, channel=channel, language=language)
    editing = request.method == "POST" or stored is not None
    preview = (
        selectors.template_preview(
            topic=topic,
            channel=channel,
            language=language,
            subject=fields["subject"] if editing else None,
            body_text=fields["body_text"] if editing else None,
            body_html=fields["body_html"],
        )
        if not error
        else None
    )
    context = {
        "event": EVENT_TYPES[topic],
        "channel": channel,
        "language": language,
        "fields": fields,
        "stored": stored,
        "preview": preview,
        "error": error,
        "names": sorted(actions.template_names(topic)),
        "languages": Language.choices,
        "channels": channels.choices(),
    }
    return render(request, "staff/notifications_template_edit.html", context, status=status)


@staff_page
def endpoints(request: ActorRequest) -> HttpResponse:
    error = None
    if request.method == "POST":
        try:
            actions.endpoint_save(
                actor=request.actor,
                kind=request.POST.get("kind", ""),
                name=request.POST.get("name", ""),
                url=request.POST.get("url", ""),
                secret=request.POST.get("secret", ""),
                topics=request.POST.getlist("topics"),
                language=request.POST.get("language", Language.ENGLISH),
                enabled="enabled" in request.POST,
            )
        except HostkeepError as refused:
            error = refused
        else:
            messages.success(request, _("Endpoint saved."))
            return redirect("staff:notification_endpoints")
    context = {
        "endpoints": selectors.endpoints_for_staff(request.actor),
        "kinds": EndpointKind.choices,
        "languages": Language.choices,
        "topics": sorted(EVENT_TYPES),
        "error": error,
        "can_allow": request.actor.can(StaffPermission.MANAGE_STAFF),
        "accounts": selectors.channel_accounts_for_staff(request.actor),
        "allowed_hosts": selectors.allowed_hosts_for_staff(request.actor),
    }
    return render(request, "staff/notifications_endpoints.html", context, status=error.status if error else 200)


@staff_page
@require_POST
def endpoint_delete(request: ActorRequest, endpoint_id: int) -> HttpResponse:
    actions.endpoint_delete(actor=request.actor, endpoint_id=endpoint_id)
    messages.success(request, _("Endpoint removed."))
    return redirect("staff:notification_endpoints")


@staff_page
@require_POST
def channel_account_save(request: ActorRequest) -> HttpResponse:
    actions.channel_account_save(
        actor=request.actor,
        channel=request.POST.get("channel", ""),
        url=request.POST.get("url", ""),
        enabled="enabled" in request.POST,
    )
    messages.success(request, _("Channel account saved."))
    return redirect("staff:notification_endpoints")


@staff_page
@require_POST
def allowed_host_add(request: ActorRequest) -> HttpResponse:
    actions.allowed_host_add(actor=request.actor, host=request.POST.get("host", ""), note=request.POST.get("note", ""))
    messages.success(request, _("Host allowed."))
    return redirect("staff:notification_endpoints")


@staff_page
@require_POST
def allowed_host_remove(request: ActorRequest, host_id: int) -> HttpResponse:
    actions.allowed_host_remove(actor=request.actor, host_id=host_id)
    messages.success(request, _("Host removed from the allow-list."))
    return redirect("staff:notification_endpoints")
