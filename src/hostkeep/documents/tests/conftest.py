# ruff: noqa: RUF001 - Russian document wording
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from pypdf import PdfReader

from hostkeep.accounts.models import ProviderLegalEntity
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.accounts.tests.factories import ContactFactory, LegalEntityFactory
from hostkeep.billing.actions import PlannedLine, invoice_create
from hostkeep.billing.choices import LineKind
from hostkeep.catalog.models import TaxClass, TaxRate
from hostkeep.core.money import Money
from hostkeep.documents.placeholders import draw_logo, draw_signature, draw_stamp

SAST = dt.timezone(dt.timedelta(hours=2))


def pdf_text(content: bytes) -> str:
    """The text of every page, with runs of white space made single spaces."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.TIME_ZONE = "Africa/Johannesburg"
    return settings.MEDIA_ROOT


@pytest.fixture
def entity(db):
    entity = ProviderLegalEntity.objects.create(
        name="The Villager People (Pty) Ltd",
        name_ru="ООО «Вилладжер Пипл»",
        short_code="tvp",
        country="ZA",
        tax_id="4870123456",
        registration_number="2021/654321/07",
        address="1 Loop Street\nCape Town 8001",
        bank_details="FNB, account 62000000001, branch 250655",
        signer_name="Anele Dlamini",
        signer_position="Director",
        signer_name_ru="Анеле Дламини",
        signer_position_ru="Директор",
        is_default=True,
    )
    entity.stamp.save("stamp.png", ContentFile(draw_stamp(entity.name, "tvp")), save=False)
    entity.signature.save("signature.png", ContentFile(draw_signature()), save=False)
    entity.logo.save("logo.png", ContentFile(draw_logo("Villager")), save=False)
    entity.save()
    return entity


@pytest.fixture
def vat(db):
    tax_class = TaxClass.objects.create(code="za-vat", name="VAT")
    TaxRate.objects.create(tax_class=tax_class, country="ZA", rate=Decimal(15))
    return tax_class


@pytest.fixture
def owner(db):
    contact = ContactFactory(customer__name="Thabo Mokoena", customer__currency="ZAR", customer__country="ZA")
    LegalEntityFactory(
        customer=contact.customer, name="Mokoena Games CC", tax_id="4123456789", address="12 Long Street\nCape Town"
    )
    return contact


@pytest.fixture
def actor(owner):
    return actor_for_user(owner.user, ip_address="198.51.100.7")


def make_invoice(customer, vat, *, key="inv-1", at=None, amounts=("179.00", "35.00")):
    return invoice_create(
        customer=customer,
        currency="ZAR",
        source_key=key,
        at=at or dt.datetime(2026, 10, 5, 10, 0, tzinfo=SAST),
        lines=[
            PlannedLine(
                kind=LineKind.SERVICE_PERIOD,
                description=f"Minecraft server, line {index + 1}",
                amount=Money(Decimal(amount), "ZAR"),
                tax_class_id=vat.pk,
            )
            for index, amount in enumerate(amounts)
        ],
        settle=False,
    )


@pytest.fixture
def invoice(owner, vat, entity):
    return make_invoice(owner.customer, vat)
