"""The API's one error shape also for answers ninja makes before any endpoint runs."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _


class ApiMethodNotAllowedMiddleware:
    """ninja answers a wrong HTTP method on a known path with a plain-text 405; under
    /api/ that becomes the JSON error every other refusal uses, keeping the Allow header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.path.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            body = {
                "error": {
                    "code": "method_not_allowed",
                    "message": _("This address does not accept %(method)s.") % {"method": request.method},
                }
            }
            allowed = response.get("Allow", "")
            response = HttpResponse(json.dumps(body), status=405, content_type="application/json")
            if allowed:
                response["Allow"] = allowed
        return response
