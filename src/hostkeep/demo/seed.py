"""Demo data: a South-African Minecraft host (seeds 000/001) with one admin, one support
agent, two customers billed in rand, and the host's catalogue: Minecraft servers in four
plans with RAM, player slots, location and game version, a backups add-on, 15 % VAT and a
welcome promo code. Every step finds what an earlier run made, so seeding twice changes
nothing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.db import models, transaction

from hostkeep.accounts.actions import customer_register, staff_member_save
from hostkeep.accounts.choices import ContactRole, CustomerKind, StaffRole
from hostkeep.accounts.models import Contact, Customer, CustomerLegalEntity, ProviderLegalEntity, StaffMember, User
from hostkeep.accounts.permissions import SYSTEM_ACTOR
from hostkeep.billing.actions import balance_top_up
from hostkeep.catalog.actions import EDITABLE, catalog_save, promo_code_set_plans
from hostkeep.catalog.choices import OptionKind, PeriodUnit, PricingModel, PromoKind, RefundPolicy
from hostkeep.catalog.models import (
    Addon,
    AddonPrice,
    ConfigurableOption,
    OptionChoice,
    OptionPrice,
    Plan,
    PlanPrice,
    Product,
    ProductGroup,
    PromoCode,
    TaxClass,
    TaxRate,
)
from hostkeep.core.money import Money
from hostkeep.demo import documents, helpdesk, notifications, payments, provisioning
from hostkeep.ledger.choices import AccountKind

# The demo of each later app, in the order they build on each other.
DEMO_PARTS = (notifications, payments, provisioning, helpdesk, documents)

DEMO_PASSWORD = "hostkeep-demo"  # noqa: S105 - printed for the local demo only


@dataclass(frozen=True)
class Login:
    email: str
    role: str


LOGINS = [
    Login("admin@villager.example", "staff: admin"),
    Login("support@villager.example", "staff: support line 1"),
    Login("thabo@example.co.za", "customer: owner of Thabo Mokoena"),
    Login("lerato@example.co.za", "customer: owner of Blocky Builders (Pty) Ltd"),
    Login("sipho@example.co.za", "customer: technical contact of Blocky Builders"),
]


def _user(email: str, full_name: str, language: str = "en") -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name, language=language)
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def _customer(owner: User, name: str, kind: str) -> Customer:
    existing = Contact.objects.filter(user=owner, role=ContactRole.OWNER).select_related("customer").first()
    if existing:
        return existing.customer
    return customer_register(user=owner, name=name, kind=kind, country="ZA", actor=SYSTEM_ACTOR)


def _billed_in_rand(customer: Customer) -> None:
    if customer.currency != "ZAR":
        Customer.objects.filter(pk=customer.pk).update(currency="ZAR")


def _row[M: models.Model](model: type[M], lookup: dict[str, Any], values: dict[str, Any] | None = None) -> M:
    """The row ``lookup`` finds, or a new one with ``values``; catalogue rows are made
    through ``catalog_save`` (validated and audited) where it edits that model."""
    existing = model._default_manager.filter(**lookup).first()
    if existing is not None:
        return existing
    fields = {**lookup, **(values or {})}
    if model in EDITABLE:
        return catalog_save(actor=SYSTEM_ACTOR, model=model, values=fields)
    return model._default_manager.create(**fields)


# Monthly list prices in rand, before VAT: (code, name, description, monthly price).
MINECRAFT_PLANS = [
    ("stone", "Stone", "2 vCPU share, 20 GB NVMe. For a few friends.", Decimal("99")),
    ("iron", "Iron", "3 vCPU share, 40 GB NVMe. For a small community.", Decimal("179")),
    ("gold", "Gold", "4 vCPU share, 60 GB NVMe, Ryzen 9950X nodes. For modpacks.", Decimal("279")),
    ("diamond", "Diamond", "6 vCPU share, 100 GB NVMe, Ryzen 9950X nodes. For large servers.", Decimal("449")),
]
SETUP_FEE = Decimal("49")
QUARTER_FACTOR = Decimal("2.85")  # three months for the price of 2.85
YEAR_FACTOR = Decimal("10")  # twelve months for the price of ten
PERIODS = [(1, Decimal(1)), (3, Decimal(3)), (12, Decimal(12))]  # option and add-on prices per period


def _minecraft_catalogue() -> None:
    vat = _row(TaxClass, {"code": "za-vat"}, {"name": "Standard VAT (South Africa)"})
    _row(TaxRate, {"tax_class": vat, "country": "ZA"}, {"rate": Decimal("15")})
    _row(TaxRate, {"tax_class": vat, "country": ""}, {"rate": Decimal("0")})
    group = _row(
        ProductGroup,
        {"slug": "minecraft"},
        {"name": "Minecraft servers", "description": "Game servers on Pterodactyl, hosted in South Africa."},
    )
    product = _row(
        Product,
        {"slug": "minecraft-server"},
        {
            "group_id": group.pk,
            "name": "Minecraft server",
            "description": "A Minecraft Java or Bedrock server with full control panel access.",
            "tax_class_id": vat.pk,
            "grace_days": 3,
            "termination_days": 14,
            "refund_policy": RefundPolicy.PRORATED,
            "module": "",
        },
    )
    plans = []
    for order, (code, name, description, monthly) in enumerate(MINECRAFT_PLANS, start=1):
        plan = _row(
            Plan,
            {"product_id": product.pk, "code": code},
            {
                "name": name,
                "description": description,
                "pricing_model": PricingModel.RECURRING,
                "sort_order": order,
            },
        )
        plans.append(plan)
        for count, amount, setup in (
            (1, monthly, SETUP_FEE),
            (3, monthly * QUARTER_FACTOR, Decimal(0)),
            (12, monthly * YEAR_FACTOR, Decimal(0)),
        ):
            _row(
                PlanPrice,
                {"plan_id": plan.pk, "currency": "ZAR", "period_unit": PeriodUnit.MONTH, "period_count": count},
                {"amount": amount, "setup_fee": setup},
            )

    def quantity_option(code: str, values: dict[str, Any], unit_price: Decimal) -> None:
        option = _row(
            ConfigurableOption,
            {"product_id": product.pk, "code": code},
            {"kind": OptionKind.QUANTITY, **values},
        )
        for count, months in PERIODS:
            _row(
                OptionPrice,
                {
                    "option": option,
                    "choice": None,
                    "currency": "ZAR",
                    "period_unit": PeriodUnit.MONTH,
                    "period_count": count,
                },
                {"amount": unit_price * months},
            )

    quantity_option(
        "ram_gb",
        {
            "name": "RAM (GB)",
            "minimum": 2,
            "maximum": 16,
            "default_quantity": 2,
            "included_quantity": 2,
            "module_field": "memory",
            "module_multiplier": 1024,
            "sort_order": 1,
        },
        Decimal("25"),
    )
    quantity_option(
        "player_slots",
        {
            "name": "Player slots",
            "minimum": 10,
            "maximum": 200,
            "step": 10,
            "default_quantity": 20,
            "included_quantity": 20,
            "module_field": "player_slots",
            "sort_order": 2,
        },
        Decimal("1.50"),
    )

    def select_option(code: str, name: str, order: int, choices: list[tuple[str, str, str, Decimal]]) -> None:
        option = _row(
            ConfigurableOption,
            {"product_id": product.pk, "code": code},
            {"name": name, "kind": OptionKind.SELECT, "module_field": code, "sort_order": order},
        )
        for position, (choice_code, label, module_value, monthly) in enumerate(choices):
            choice = _row(
                OptionChoice,
                {"option": option, "code": choice_code},
                {"label": label, "module_value": module_value, "is_default": position == 0, "sort_order": position},
            )
            if monthly:
                for count, months in PERIODS:
                    _row(
                        OptionPrice,
                        {
                            "option": option,
                            "choice": choice,
                            "currency": "ZAR",
                            "period_unit": PeriodUnit.MONTH,
                            "period_count": count,
                        },
                        {"amount": monthly * months},
                    )

    select_option(
        "location",
        "Location",
        3,
        [("jhb", "Johannesburg", "1", Decimal(0)), ("cpt", "Cape Town", "2", Decimal("15"))],
    )
    select_option(
        "version",
        "Game version",
        4,
        [
            ("paper-1-21", "Java 1.21 (Paper)", "paper:1.21", Decimal(0)),
            ("vanilla-1-21", "Java 1.21 (Vanilla)", "vanilla:1.21", Decimal(0)),
            ("forge-1-20", "Java 1.20.1 (Forge, modpacks)", "forge:1.20.1", Decimal(0)),
            ("bedrock", "Bedrock (latest)", "bedrock:latest", Decimal(0)),
        ],
    )
    backups = _row(
        Addon,
        {"code": "backups"},
        {
            "name": "Daily backups",
            "description": "A backup every night, seven kept, restored from the panel.",
            "module_limits": {"backups": 7},
        },
    )
    if not backups.products.filter(pk=product.pk).exists():
        backups.products.add(product)
    for count, months in PERIODS:
        _row(
            AddonPrice,
            {"addon": backups, "currency": "ZAR", "period_unit": PeriodUnit.MONTH, "period_count": count},
            {"amount": Decimal("35") * months},
        )
    welcome = _row(
        PromoCode,
        {"code": "WELCOME10"},
        {"kind": PromoKind.PERCENT, "value": Decimal("10"), "recurring": False, "max_uses_per_customer": 1},
    )
    if not welcome.plans.exists():
        promo_code_set_plans(actor=SYSTEM_ACTOR, promo_id=welcome.pk, plan_ids=[plan.pk for plan in plans])


def _staff(user: User, role: str) -> None:
    if not StaffMember.objects.filter(user=user, role=role, is_active=True).exists():
        staff_member_save(actor=SYSTEM_ACTOR, email=user.email, role=role)


@transaction.atomic
def _provider() -> ProviderLegalEntity:
    """The host's own company, which invoices and charges VAT (15 % in South Africa)."""
    entity, _created = ProviderLegalEntity.objects.get_or_create(
        short_code="tvp",
        defaults={
            "name": "The Villager People (Pty) Ltd",
            "registration_number": "2021/654321/07",
            "tax_id": "4870123456",
            "country": "ZA",
            "address": "1 Loop Street\nCape Town 8001",
            "bank_details": "FNB, account 62000000001, branch 250655",
            "vat_registered": True,
            "is_default": True,
        },
    )
    return entity


def seed_demo() -> list[Login]:
    _provider()
    admin = _user("admin@villager.example", "Anele Dlamini")
    _staff(admin, StaffRole.ADMIN)
    support = _user("support@villager.example", "Pieter van der Merwe")
    _staff(support, StaffRole.SUPPORT_LINE_1)

    thabo = _user("thabo@example.co.za", "Thabo Mokoena")
    thabo_account = _customer(thabo, "Thabo Mokoena", CustomerKind.PERSON)
    _billed_in_rand(thabo_account)
    thabo_account.refresh_from_db()
    # Money on the balance, so orders and renewals are paid from it in the demo.
    balance_top_up(
        customer=thabo_account,
        amount=Money(Decimal(1000), "ZAR"),
        idempotency_key="demo-top-up-thabo",
        description="Demo top-up",
        source=AccountKind.ADJUSTMENTS,
    )

    lerato = _user("lerato@example.co.za", "Lerato Nkosi")
    blocky = _customer(lerato, "Blocky Builders (Pty) Ltd", CustomerKind.COMPANY)
    _billed_in_rand(blocky)
    sipho = _user("sipho@example.co.za", "Sipho Khumalo")
    Contact.objects.get_or_create(customer=blocky, user=sipho, defaults={"role": ContactRole.TECHNICAL})
    CustomerLegalEntity.objects.get_or_create(
        customer=blocky,
        name="Blocky Builders (Pty) Ltd",
        defaults={
            "tax_id": "4123456789",
            "registration_number": "2019/123456/07",
            "country": "ZA",
            "address": "12 Long Street\nCape Town 8001",
            "bank_name": "FNB",
            "bank_account": "62123456789",
            "bank_code": "250655",
            "is_default": True,
        },
    )
    _minecraft_catalogue()
    for part in DEMO_PARTS:
        part.seed()
    return LOGINS
