"""Portal pages of notifications: the notification centre (in-app messages with the unread
count), marking read, and the person's preferences per category and channel."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from hostkeep.accounts.middleware import ActorRequest
from hostkeep.core.errors import ValidationFailed
from hostkeep.notifications import actions, selectors
from hostkeep.notifications.models import UserAddress
from hostkeep.portal.views import customer_page


@customer_page
def notifications(request: ActorRequest) -> HttpResponse:
    user = selectors.actor_user(request.actor)
    page = Paginator(selectors.inbox_for_user(user), 30).get_page(request.GET.get("page"))
    return render(request, "portal/notifications.html", {"page": page, "unread": selectors.unread_count(user)})


@customer_page
@require_POST
def notifications_read(request: ActorRequest) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("delivery") if value.isdigit()]
    actions.notifications_mark_read(user=selectors.actor_user(request.actor), delivery_ids=ids or None)
    return redirect("portal:notifications")


def _preferences_page(request: ActorRequest, status: int = 200, error: str = "") -> HttpResponse:
    user = selectors.actor_user(request.actor)
    context = {
        "rows": selectors.preferences_for_user(user),
        "addresses": dict(UserAddress.objects.filter(user=user).values_list("channel", "address")),
        "error": error,
    }
    return render(request, "portal/notifications_preferences.html", context, status=status)


@customer_page
def notification_preferences(request: ActorRequest) -> HttpResponse:
    if request.method != "POST":
        return _preferences_page(request)
    rows = selectors.preferences_for_user(selectors.actor_user(request.actor))
    choices = {
        (row.category, channel.name): f"{row.category}:{channel.name}" in request.POST
        for row in rows
        for channel, _enabled in row.cells
    }
    try:
        actions.preferences_save(actor=request.actor, choices=choices)
        for channel in ("sms", "telegram"):
            if f"address:{channel}" in request.POST:
                actions.user_address_set(
                    actor=request.actor, channel=channel, address=request.POST[f"address:{channel}"]
                )
    except ValidationFailed as error:
        return _preferences_page(request, status=422, error=error.message)
    messages.success(request, _("Your notification settings are saved."))
    return redirect("portal:notification_preferences")
