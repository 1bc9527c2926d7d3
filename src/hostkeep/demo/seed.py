"""Demo data: a South-African Minecraft host (seeds 000/001) with one admin, one support
agent and two customers. Every step finds what an earlier run made, so seeding twice
changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from hostkeep.accounts.actions import customer_register, staff_member_save
from hostkeep.accounts.choices import ContactRole, CustomerKind, StaffRole
from hostkeep.accounts.models import Contact, Customer, CustomerLegalEntity, User
from hostkeep.accounts.permissions import SYSTEM_ACTOR

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


@transaction.atomic
def seed_demo() -> list[Login]:
    admin = _user("admin@villager.example", "Anele Dlamini")
    staff_member_save(actor=SYSTEM_ACTOR, email=admin.email, role=StaffRole.ADMIN)
    support = _user("support@villager.example", "Pieter van der Merwe")
    staff_member_save(actor=SYSTEM_ACTOR, email=support.email, role=StaffRole.SUPPORT_LINE_1)

    thabo = _user("thabo@example.co.za", "Thabo Mokoena")
    _customer(thabo, "Thabo Mokoena", CustomerKind.PERSON)

    lerato = _user("lerato@example.co.za", "Lerato Nkosi")
    blocky = _customer(lerato, "Blocky Builders (Pty) Ltd", CustomerKind.COMPANY)
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
    return LOGINS
