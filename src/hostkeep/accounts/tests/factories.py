from __future__ import annotations

import datetime as dt

import factory
from allauth.account.models import EmailAddress

from hostkeep.accounts.actions import api_token_create
from hostkeep.accounts.choices import ContactRole, StaffRole
from hostkeep.accounts.models import ApiToken, Contact, Customer, CustomerLegalEntity, StaffMember, User
from hostkeep.accounts.selectors import actor_for_user

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    country = "ZA"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    user = factory.SubFactory(UserFactory)
    role = ContactRole.OWNER


class LegalEntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerLegalEntity

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Entity {n} (Pty) Ltd")
    tax_id = "4000000000"
    country = "ZA"


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember

    user = factory.SubFactory(UserFactory)
    role = StaffRole.ADMIN


def api_token_for(
    user: User, *, name: str = "deploy script", expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """A token made the way its owner makes one (through the action), with its plain text:
    bound to the owner's account for a contact, a staff token for staff outside any account."""
    return api_token_create(actor=actor_for_user(user), name=name, expires_at=expires_at)
