"""The root NinjaAPI: one instance under /api/v1/, routers from each app's api.py, and the
one mapping from Hostkeep's error hierarchy to the JSON error shape."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from hostkeep.accounts.api import customer_router, staff_router
from hostkeep.api.auth import AUTHENTICATION
from hostkeep.billing import api as billing_api
from hostkeep.catalog import api as catalog_api
from hostkeep.core.errors import HostkeepError
from hostkeep.documents import api as documents_api
from hostkeep.helpdesk import api as helpdesk_api
from hostkeep.notifications import api as notifications_api
from hostkeep.payments import api as payments_api
from hostkeep.provisioning import api as provisioning_api
from hostkeep.services import api as services_api
from hostkeep.usage.api import usage_router

api = NinjaAPI(
    title="Hostkeep API",
    version="1",
    description="Customer-scoped and staff endpoints. Authenticate with `Authorization: Bearer hk_...`.",
    auth=AUTHENTICATION,
    urls_namespace="api",
)


@api.exception_handler(HostkeepError)
def hostkeep_error(request: HttpRequest, error: HostkeepError) -> HttpResponse:
    return api.create_response(request, error.as_dict(), status=error.status)


@api.exception_handler(ValidationError)
def schema_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for item in error.errors:
        location = ".".join(str(part) for part in item.get("loc", ()) if part not in ("body", "payload", "query"))
        fields.setdefault(location or "__all__", []).append(str(item.get("msg", "")))
    body = {"error": {"code": "validation_failed", "message": _("Some values are not valid."), "fields": fields}}
    return api.create_response(request, body, status=422)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    """Malformed bodies, a missing CSRF token and the like, in the same error shape."""
    codes = {400: "bad_request", 403: "permission_denied", 404: "not_found", 405: "method_not_allowed"}
    body = {"error": {"code": codes.get(error.status_code, "error"), "message": str(error)}}
    return api.create_response(request, body, status=error.status_code)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    body = {"error": {"code": "unauthenticated", "message": _("A valid API token or session is required.")}}
    return api.create_response(request, body, status=401)


api.add_router("/account", customer_router, tags=["account"])
api.add_router("/staff", staff_router, tags=["staff"])
api.add_router("/catalog", catalog_api.customer_router, tags=["catalogue"])
api.add_router("/", services_api.customer_router, tags=["orders and services"])
api.add_router("/staff/catalog", catalog_api.staff_router, tags=["staff: catalogue"])
api.add_router("/staff", services_api.staff_router, tags=["staff: services and orders"])
api.add_router("/usage", usage_router, tags=["usage"])
api.add_router("/billing", billing_api.customer_router, tags=["billing"])
api.add_router("/staff/billing", billing_api.staff_router, tags=["staff: billing"])
api.add_router("/payments", payments_api.customer_router, tags=["payments"])
api.add_router("/staff/payments", payments_api.staff_router, tags=["staff: payments"])
api.add_router("/provisioning", provisioning_api.customer_router, tags=["provisioning"])
api.add_router("/staff/provisioning", provisioning_api.staff_router, tags=["staff: provisioning"])
api.add_router("/helpdesk", helpdesk_api.customer_router, tags=["helpdesk"])
api.add_router("/staff/helpdesk", helpdesk_api.staff_router, tags=["staff: helpdesk"])
api.add_router("/notifications", notifications_api.customer_router, tags=["notifications"])
api.add_router("/staff/notifications", notifications_api.staff_router, tags=["staff: notifications"])
api.add_router("/documents", documents_api.customer_router, tags=["documents"])
api.add_router("/staff/documents", documents_api.staff_router, tags=["staff: documents"])
