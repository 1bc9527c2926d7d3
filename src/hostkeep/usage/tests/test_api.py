"""The usage API: posting records (staff with provisioning rights, by token or session),
listing them (staff), and a customer's own service usage (customers, scoped)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hostkeep.accounts.choices import StaffRole
from hostkeep.accounts.tests.clients import ApiClient, log_in
from hostkeep.accounts.tests.factories import StaffFactory, api_token_for
from hostkeep.usage.models import UsageRecord
from hostkeep.usage.tests.conftest import record, stored

pytestmark = pytest.mark.django_db

FORBIDDEN = {"error": {"code": "permission_denied", "message": "You do not have permission to do this."}}


def post_raw(plain: str, body: str | bytes) -> tuple[int, object]:
    response = Client().post(
        "/api/v1/usage/records",
        data=body,
        content_type="application/json",
        headers={"authorization": f"Bearer {plain}"},
    )
    return response.status_code, response.json()


@pytest.fixture
def engineer_token(engineer) -> str:
    return api_token_for(engineer.user)[1]


@pytest.fixture
def engineer_api(engineer_token) -> ApiClient:
    return ApiClient(Client(), token=engineer_token)


def test_a_staff_token_posts_records_and_a_repeat_is_counted_once(service_a, engineer_api):
    batch = [record(service_a, "panel-1"), record(service_a, "panel-2", quantity="-3"), record(service_a, "panel-1")]

    status, body = engineer_api.post("usage/records", batch)  # type: ignore[arg-type]

    assert status == 200
    assert body == {
        "accepted": 1,
        "duplicates": 1,
        "refused": 1,
        "refusals": [
            {
                "index": 1,
                "source_id": "panel-2",
                "code": "quantity_negative",
                "message": "quantity must not be negative.",
            }
        ],
    }
    status, body = engineer_api.post("usage/records", [record(service_a, "panel-1"), record(service_a, "panel-3")])  # type: ignore[arg-type]
    assert (status, body) == (200, {"accepted": 1, "duplicates": 1, "refused": 0, "refusals": []})
    assert [row[0] for row in stored()] == ["panel-1", "panel-3"]


def test_json_numbers_are_read_as_exact_decimals_and_nan_is_refused_alone(service_a, engineer_token):
    template = json.dumps(record(service_a, "{id}", quantity="{q}"))
    body = (
        "["
        + ",".join(
            template.replace('"{id}"', f'"{source_id}"').replace('"{q}"', quantity)
            for source_id, quantity in [
                ("a", "0.1"),
                ("b", "1e400"),
                ("c", "NaN"),
                ("d", "-Infinity"),
                ("e", "1.00001"),
            ]
        )
        + "]"
    )

    status, body = post_raw(engineer_token, body)

    assert status == 200
    assert (body["accepted"], body["refused"]) == (1, 4)
    assert [(item["index"], item["code"]) for item in body["refusals"]] == [
        (1, "quantity_too_large"),
        (2, "quantity_not_a_number"),
        (3, "quantity_not_a_number"),
        (4, "quantity_too_precise"),
    ]
    assert list(UsageRecord.objects.values_list("source_id", "quantity")) == [("a", Decimal("0.1000"))]


def test_more_than_10000_records_is_413_and_stores_nothing(service_a, engineer_token):
    one = json.dumps(record(service_a, "x"))
    status, body = post_raw(engineer_token, "[" + ",".join([one] * 10_001) + "]")
    assert (status, body) == (
        413,
        {
            "error": {
                "code": "too_many_records",
                "message": "At most 10000 records per request (got 10001); send the rest in further requests.",
            }
        },
    )
    assert not UsageRecord.objects.exists()


def test_exactly_10000_records_are_taken_in_one_request(service_a, engineer_token):
    body = json.dumps([record(service_a, f"r{number}") for number in range(10_000)])
    status, answer = post_raw(engineer_token, body)
    assert (status, answer["accepted"], answer["duplicates"], answer["refused"]) == (200, 10_000, 0, 0)
    assert UsageRecord.objects.count() == 10_000


def test_a_body_above_djangos_form_limit_is_read_whole(service_a, engineer_token, settings):
    records = [record(service_a, f"{n:06d}-" + "x" * 110, customer_id=service_a.customer_id) for n in range(10_000)]
    body = json.dumps(records)
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    status, answer = post_raw(engineer_token, body)
    assert (status, answer["accepted"], answer["refused"]) == (200, 10_000, 0)


def test_a_body_above_16_mib_is_413(engineer_token):
    status, answer = post_raw(engineer_token, "[" + " " * (16 * 2**20) + "]")
    assert (status, answer) == (
        413,
        {"error": {"code": "payload_too_large", "message": "The body is larger than 16 MiB."}},
    )


@pytest.mark.parametrize(
    "body", ['{"source_id": "a"}', "not json", "", '[{"source_id": "a"}'], ids=["object", "text", "empty", "cut"]
)
def test_a_body_that_is_not_a_json_array_is_422(service_a, engineer_token, body):
    status, answer = post_raw(engineer_token, body)
    assert (status, answer) == (
        422,
        {"error": {"code": "not_a_json_array", "message": "The body must be a JSON array of usage records."}},
    )
    assert not UsageRecord.objects.exists()


def test_a_staff_session_with_provisioning_rights_may_post_too(service_a, engineer):
    api = ApiClient(log_in(Client(), engineer.user))
    assert api.post("usage/records", [record(service_a, "panel-1")])[0] == 200  # type: ignore[arg-type]
    assert UsageRecord.objects.count() == 1


def test_customers_cannot_post_usage_by_token_or_session(service_a, owner_a):
    plain = api_token_for(owner_a.user)[1]
    for api in (ApiClient(Client(), token=plain), ApiClient(log_in(Client(), owner_a.user))):
        assert api.post("usage/records", [record(service_a, "panel-1")]) == (403, FORBIDDEN)  # type: ignore[arg-type]
    assert not UsageRecord.objects.exists()


def test_a_staff_token_without_provisioning_rights_cannot_post(service_a):
    accountant = StaffFactory(role=StaffRole.ACCOUNTANT)
    api = ApiClient(Client(), token=api_token_for(accountant.user)[1])
    assert api.post("usage/records", [record(service_a, "panel-1")]) == (403, FORBIDDEN)  # type: ignore[arg-type]
    assert not UsageRecord.objects.exists()


def test_without_credentials_posting_is_401(service_a):
    status, _body = ApiClient(Client()).post("usage/records", [record(service_a, "panel-1")])  # type: ignore[arg-type]
    assert status == 401
    assert not UsageRecord.objects.exists()


@pytest.fixture
def three_records(service_a, service_b, engineer_api):
    engineer_api.post(
        "usage/records",
        [  # type: ignore[arg-type]
            record(service_a, "a-1", period_start="2026-03-01T10:00:00Z", period_end="2026-03-01T11:00:00Z"),
            record(
                service_a,
                "a-2",
                resource="ram_gb_hours",
                quantity="4",
                period_start="2026-03-02T10:00:00Z",
                period_end="2026-03-02T11:00:00Z",
            ),
            record(service_b, "b-1", period_start="2026-03-03T10:00:00Z", period_end="2026-03-03T11:00:00Z"),
        ],
    )


def test_staff_list_records_with_filters(three_records, service_a, engineer_api):
    status, body = engineer_api.get(f"usage/records?service_id={service_a.pk}")
    assert status == 200
    assert body["count"] == 2
    first = body["items"][0]
    assert {key: value for key, value in first.items() if key not in ("id", "received_at")} == {
        "service_id": service_a.pk,
        "resource": "server_hours",
        "quantity": "1.5000",
        "period_start": "2026-03-01T10:00:00Z",
        "period_end": "2026-03-01T11:00:00Z",
        "source_id": "a-1",
    }
    assert [item["source_id"] for item in engineer_api.get("usage/records?resource=ram_gb_hours")[1]["items"]] == [
        "a-2"
    ]
    since = "2026-03-02T12:00:00%2B02:00"  # 10:00 UTC: a-2 starts exactly then
    assert [item["source_id"] for item in engineer_api.get(f"usage/records?since={since}")[1]["items"]] == [
        "a-2",
        "b-1",
    ]


def test_since_without_an_offset_is_refused(engineer_api):
    status, body = engineer_api.get("usage/records?since=2026-03-02T12:00:00")
    assert (status, body["error"]["code"]) == (422, "validation_failed")
    assert body["error"]["fields"] == {"since": ["since needs a time zone offset (e.g. +02:00 or Z)."]}


def test_the_staff_list_costs_the_same_queries_for_2_or_30_records(service_a, engineer_api):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert engineer_api.get("usage/records")[0] == 200
        return len(captured)

    engineer_api.post("usage/records", [record(service_a, f"r{n}") for n in range(2)])  # type: ignore[arg-type]
    few = queries()
    engineer_api.post("usage/records", [record(service_a, f"s{n}") for n in range(28)])  # type: ignore[arg-type]
    assert queries() == few


def test_customers_cannot_list_records(three_records, owner_a):
    api = ApiClient(Client(), token=api_token_for(owner_a.user)[1])
    assert api.get("usage/records") == (403, FORBIDDEN)


def test_a_customer_reads_their_own_service_usage_for_the_current_period(
    three_records, service_a, engineer_api, owner_a
):
    engineer_api.post(
        "usage/records",
        [  # type: ignore[arg-type]
            record(service_a, "a-3", quantity="0.25"),  # 1 March 08:00 UTC: inside the period
            record(service_a, "a-old", period_start="2026-02-28T23:00:00Z", period_end="2026-03-01T00:00:00Z"),
        ],
    )
    api = ApiClient(Client(), token=api_token_for(owner_a.user)[1])

    status, body = api.get(f"usage/services/{service_a.pk}")

    assert (status, body) == (
        200,
        {
            "service_id": service_a.pk,
            "period_start": "2026-03-01T00:00:00Z",
            "period_end": "2026-04-01T00:00:00Z",
            "totals": [
                {"resource": "ram_gb_hours", "unit": "GB-hour", "quantity": "4.0000"},
                {"resource": "server_hours", "unit": "hour", "quantity": "1.7500"},
            ],
        },
    )


def test_a_service_without_usage_shows_zero_for_every_metered_resource(service_a, owner_a):
    api = ApiClient(log_in(Client(), owner_a.user))
    status, body = api.get(f"usage/services/{service_a.pk}")
    assert status == 200
    assert body["totals"] == [
        {"resource": "ram_gb_hours", "unit": "GB-hour", "quantity": "0.0000"},
        {"resource": "server_hours", "unit": "hour", "quantity": "0.0000"},
    ]


def test_another_customers_service_is_not_found(three_records, service_b, owner_a):
    api = ApiClient(Client(), token=api_token_for(owner_a.user)[1])
    not_found = {"error": {"code": "not_found", "message": "Service not found."}}
    assert api.get(f"usage/services/{service_b.pk}") == (404, not_found)
    assert api.get("usage/services/987654") == (404, not_found)


def test_the_openapi_document_lists_the_usage_endpoints(client):
    document = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/usage/records", "/api/v1/usage/services/{service_id}"} <= set(document["paths"])
    body = document["paths"]["/api/v1/usage/records"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert (body["type"], body["maxItems"]) == ("array", 10_000)
    assert set(body["items"]["required"]) == {
        "source_id",
        "service_id",
        "resource",
        "quantity",
        "period_start",
        "period_end",
    }


def test_received_at_is_recorded(service_a, engineer_api):
    before = dt.datetime.now(dt.UTC)
    engineer_api.post("usage/records", [record(service_a, "panel-1")])  # type: ignore[arg-type]
    received = UsageRecord.objects.get().received_at
    assert before - dt.timedelta(seconds=1) <= received <= dt.datetime.now(dt.UTC)
