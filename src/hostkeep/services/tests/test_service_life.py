import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import close_old_connections, connection

from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.factories import ContactFactory
from hostkeep.core.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from hostkeep.services import actions
from hostkeep.services.choices import ServiceStatus
from hostkeep.services.models import Service, ServiceChange, ServiceEvent

SAST = dt.timezone(dt.timedelta(hours=2))


def ordered_active_service(catalog, buyer, plan="stone", **options) -> Service:
    actions.cart_add(actor=buyer, plan_id=catalog[plan].pk, option_values=options or None)
    actions.checkout(actor=buyer)
    service = Service.objects.latest("id")
    from hostkeep.accounts.permissions import SYSTEM_ACTOR

    actions.service_transition(service_id=service.pk, to=ServiceStatus.PROVISIONING, actor=SYSTEM_ACTOR)
    actions.service_transition(service_id=service.pk, to=ServiceStatus.ACTIVE, actor=SYSTEM_ACTOR)
    service.refresh_from_db()
    return service


def test_upgrade_at_a_known_instant_gives_the_exact_amount(catalog, buyer):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        service = ordered_active_service(catalog, buyer)
    assert service.current_period_start == dt.datetime(2026, 3, 1, 0, 0, tzinfo=SAST)
    assert service.next_due_date == dt.date(2026, 4, 1)
    # 11 March 00:00 SAST: 21 of 31 days left. Stone 100 -> Iron 200: (200 - 100) * 21/31.
    with time_machine.travel(dt.datetime(2026, 3, 11, 0, 0, tzinfo=SAST), tick=False):
        preview = actions.service_change_preview(actor=buyer, service_id=service.pk, plan_id=catalog["iron"].pk)
        assert preview.amount.amount == Decimal("67.7419")
        change = actions.service_change_apply(actor=buyer, service_id=service.pk, plan_id=catalog["iron"].pk)
    assert change.amount == Decimal("67.7419")
    assert (change.seconds_left, change.seconds_total) == (21 * 86400, 31 * 86400)
    service.refresh_from_db()
    assert service.plan == catalog["iron"]
    assert service.paid_rate == Decimal("200.0000")
    assert service.next_due_date == dt.date(2026, 4, 1)  # a change never moves the due date


def test_two_upgrades_in_one_period_never_overcharge(catalog, buyer):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        service = ordered_active_service(catalog, buyer)
    with time_machine.travel(dt.datetime(2026, 3, 11, 0, 0, tzinfo=SAST), tick=False):
        first = actions.service_change_apply(actor=buyer, service_id=service.pk, plan_id=catalog["iron"].pk)
    # Meanwhile the list price of Iron goes up; the second change still starts from the 200 paid.
    catalog["iron"].prices.filter(currency="ZAR", period_count=1).update(amount=Decimal("999"))
    with time_machine.travel(dt.datetime(2026, 3, 21, 0, 0, tzinfo=SAST), tick=False):
        second = actions.service_change_apply(actor=buyer, service_id=service.pk, plan_id=catalog["diamond"].pk)
    assert second.old_rate == Decimal("200.0000")
    assert second.amount == Decimal("70.9677")  # (400 - 200) * 11/31
    paid_total = Decimal("100") + first.amount + second.amount
    # Never more than a straight per-day split of the three plans: 10 days Stone, 10 Iron, 11 Diamond.
    fair = (Decimal(100) * 10 + Decimal(200) * 10 + Decimal(400) * 11) / 31
    assert paid_total <= fair.quantize(Decimal("0.0001")) + Decimal("0.0001")
    assert ServiceChange.objects.filter(service=service).count() == 2


def test_a_downgrade_credits_what_is_due(catalog, buyer):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        service = ordered_active_service(catalog, buyer, plan="diamond")
    with time_machine.travel(dt.datetime(2026, 3, 16, 12, 0, tzinfo=SAST), tick=False):
        change = actions.service_change_apply(actor=buyer, service_id=service.pk, plan_id=catalog["stone"].pk)
    # 15.5 of 31 days left: (100 - 400) / 2
    assert change.amount == Decimal("-150.0000")
    assert change.kind == "downgrade"
    service.refresh_from_db()
    assert service.paid_rate == Decimal("100.0000")


def test_option_change_is_prorated_too(catalog, buyer):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        service = ordered_active_service(catalog, buyer, ram_gb=2)
    with time_machine.travel(dt.datetime(2026, 3, 11, 0, 0, tzinfo=SAST), tick=False):
        change = actions.service_change_apply(actor=buyer, service_id=service.pk, option_values={"ram_gb": 6})
    assert change.amount == Decimal("54.1935")  # 4 GB * 20 * 21/31
    service.refresh_from_db()
    assert service.module_limits["memory"] == 6 * 1024


def test_refused_changes_move_nothing(catalog, buyer, other_buyer):
    service = ordered_active_service(catalog, buyer)
    with pytest.raises(ValidationFailed):
        actions.service_change_apply(actor=buyer, service_id=service.pk, option_values={"ram_gb": 99})
    with pytest.raises(ValidationFailed):
        actions.service_change_apply(actor=buyer, service_id=service.pk, plan_id=catalog["stone"].pk)
    with pytest.raises(NotFound):
        actions.service_change_apply(actor=other_buyer, service_id=service.pk, plan_id=catalog["iron"].pk)
    reader = ContactFactory(customer=buyer.customer, role="read_only")
    with pytest.raises(PermissionRefused):
        actions.service_change_apply(
            actor=actor_for_user(reader.user), service_id=service.pk, plan_id=catalog["iron"].pk
        )
    service.refresh_from_db()
    assert service.plan == catalog["stone"]
    assert not ServiceChange.objects.exists()


def test_state_machine_records_who_and_why_and_refuses_bad_moves(catalog, buyer, admin):
    service = ordered_active_service(catalog, buyer)
    staff = actor_for_user(admin.user)
    with pytest.raises(ValidationFailed):
        actions.service_suspend(actor=staff, service_id=service.pk, reason="")
    actions.service_suspend(actor=staff, service_id=service.pk, reason="abuse report #12")
    with pytest.raises(PermissionRefused):
        actions.service_unsuspend(actor=buyer, service_id=service.pk, reason="please")
    actions.service_unsuspend(actor=staff, service_id=service.pk, reason="resolved")
    actions.service_terminate(actor=staff, service_id=service.pk, reason="customer left")
    with pytest.raises(Conflict):
        actions.service_unsuspend(actor=staff, service_id=service.pk, reason="oops")
    events = list(ServiceEvent.objects.filter(service=service).values_list("from_status", "to_status", "reason"))
    assert events[-3:] == [
        ("active", "suspended", "abuse report #12"),
        ("suspended", "active", "resolved"),
        ("active", "terminated", "customer left"),
    ]
    assert ServiceEvent.objects.filter(service=service).last().actor_label == admin.user.email


def test_cancel_at_period_end_and_now_with_refund(catalog, buyer):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SAST), tick=False):
        first = ordered_active_service(catalog, buyer)
        second = ordered_active_service(catalog, buyer)
    actions.service_cancel(actor=buyer, service_id=first.pk, when="period_end")
    first.refresh_from_db()
    assert (first.status, first.cancel_at_period_end, first.auto_renew) == ("active", True, False)
    with time_machine.travel(dt.datetime(2026, 3, 11, 0, 0, tzinfo=SAST), tick=False):
        actions.service_cancel(actor=buyer, service_id=second.pk, when="now", reason="moving away")
    second.refresh_from_db()
    assert second.status == "cancelled"
    refund = ServiceChange.objects.get(service=second)
    assert refund.amount == Decimal("-67.7419")  # 100 * 21/31 back
    with pytest.raises(Conflict):
        actions.service_cancel(actor=buyer, service_id=second.pk, when="now")


def test_staff_move_the_due_date(catalog, buyer, admin):
    service = ordered_active_service(catalog, buyer)
    staff = actor_for_user(admin.user)
    new_date = service.next_due_date + dt.timedelta(days=7)
    actions.service_set_due_date(actor=staff, service_id=service.pk, due_date=new_date, reason="goodwill: outage")
    service.refresh_from_db()
    assert service.next_due_date == new_date
    with pytest.raises(ValidationFailed):
        actions.service_set_due_date(actor=staff, service_id=service.pk, due_date=dt.date(2000, 1, 1), reason="x")


def _parallel(count, work):
    results = []
    lock = threading.Lock()
    barrier = threading.Barrier(count)

    def run(index):
        try:
            barrier.wait()
            outcome = work(index)
        except Exception as error:
            outcome = error
        finally:
            close_old_connections()
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_20_parallel_checkouts_against_a_promo_limited_to_5(settings):
    from hostkeep.catalog.models import PromoCode
    from hostkeep.catalog.tests.factories import minecraft_catalog

    catalog = minecraft_catalog()
    PromoCode.objects.filter(pk=catalog["promo"].pk).update(max_uses=5)
    contacts = [ContactFactory(customer__currency="ZAR") for _ in range(20)]
    for contact in contacts:
        actions.cart_add(actor=actor_for_user(contact.user), plan_id=catalog["stone"].pk)

    results = _parallel(20, lambda i: actions.checkout(actor=actor_for_user(contacts[i].user), promo_code="LAUNCH20"))
    succeeded = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(succeeded) == 5
    assert len(refused) == 15
    assert PromoCode.objects.get(pk=catalog["promo"].pk).times_used == 5
    assert Service.objects.count() == 5


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_20_parallel_checkouts_against_a_stock_of_5(settings):
    from hostkeep.catalog.models import Product
    from hostkeep.catalog.tests.factories import minecraft_catalog

    catalog = minecraft_catalog(stock_limit=5)
    contacts = [ContactFactory(customer__currency="ZAR") for _ in range(20)]
    for contact in contacts:
        actions.cart_add(actor=actor_for_user(contact.user), plan_id=catalog["stone"].pk)
    results = _parallel(20, lambda i: actions.checkout(actor=actor_for_user(contacts[i].user)))
    assert sum(1 for r in results if not isinstance(r, Exception)) == 5
    assert all(getattr(r, "code", "") == "out_of_stock" for r in results if isinstance(r, Exception))
    assert Product.objects.get(pk=catalog["product"].pk).stock_used == 5
    assert Service.objects.count() == 5


def test_staff_change_a_plan_only_with_a_reason_and_the_services_permission(catalog, buyer, admin):
    from hostkeep.accounts.choices import StaffRole
    from hostkeep.accounts.tests.factories import StaffFactory

    service = ordered_active_service(catalog, buyer)
    ContactFactory(user=admin.user)  # the admin also owns an account; in the staff area it acts as staff
    staff = actor_for_user(admin.user)
    assert staff.is_customer
    support = actor_for_user(StaffFactory(role=StaffRole.SUPPORT_LINE_1).user)
    with pytest.raises(PermissionRefused):
        actions.service_change_plan(actor=support, service_id=service.pk, plan_id=catalog["iron"].pk, reason="x")
    with pytest.raises(ValidationFailed) as refused:
        actions.service_change_plan(actor=staff, service_id=service.pk, plan_id=catalog["iron"].pk, reason=" ")
    assert list(refused.value.fields) == ["reason"]
    with pytest.raises(NotFound):  # as a customer, the admin cannot reach another account's service
        actions.service_change_preview(actor=staff, service_id=service.pk, plan_id=catalog["iron"].pk)
    assert not ServiceChange.objects.exists()
    change = actions.service_change_plan(
        actor=staff, service_id=service.pk, plan_id=catalog["iron"].pk, reason="goodwill after an outage"
    )
    assert (change.to_plan, change.reason, change.actor_label) == (
        catalog["iron"],
        "goodwill after an outage",
        admin.user.email,
    )
    preview = actions.service_change_preview(
        actor=staff, service_id=service.pk, plan_id=catalog["diamond"].pk, as_staff=True
    )
    assert preview.old_rate.amount == Decimal("200.0000")
