"""The API's ticket lists page like the staff queue: a page of rows and a count that stops at
``COUNT_CAP`` (an exact count of every match of a common word over a million messages costs
seconds, and no reader needs it). ``more`` says the count stopped at the cap."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Schema
from ninja.pagination import LimitOffsetPagination

from hostkeep.helpdesk.selectors import COUNT_CAP


class CappedLimitOffsetPagination(LimitOffsetPagination):
    class Output(Schema):
        items: list[Any]
        count: int
        more: bool

    def paginate_queryset(
        self,
        queryset: QuerySet,  # type: ignore[type-arg]
        pagination: LimitOffsetPagination.Input,
        request: HttpRequest,
        **params: Any,
    ) -> Any:
        limit = min(pagination.limit, self.max_limit)
        items = list(queryset[pagination.offset : pagination.offset + limit])
        counted = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
        return {"items": items, "count": min(counted, COUNT_CAP), "more": counted > COUNT_CAP}
