"""Writes of accounts: registration, contacts, legal entities, staff, API tokens.

Each action is keyword-only, atomic, checks the actor's permission first and records one
audit event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from hostkeep.accounts.choices import ContactRole, CustomerKind, Language, StaffRole
from hostkeep.accounts.models import ApiToken, Contact, Customer, CustomerLegalEntity, StaffMember, User
from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.accounts.selectors import actor_for_user, customer_scope, get_scoped
from hostkeep.core import clock
from hostkeep.core.actions import audit_record, outbox_emit
from hostkeep.core.errors import Conflict, PermissionRefused, ValidationFailed
from hostkeep.core.validation import validated

TOKEN_PREFIX_LENGTH = 10
LEGAL_ENTITY_FIELDS = (
    "name",
    "tax_id",
    "registration_number",
    "country",
    "address",
    "bank_name",
    "bank_account",
    "bank_code",
    "is_default",
)


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed(
            _("Enter a valid e-mail address."), fields={"email": [_("Not a valid e-mail.")]}
        ) from None
    return email


def _check_choice(value: str, choices: Any, field: str) -> str:
    if value not in choices.values:
        raise ValidationFailed(_("Choose one of the offered values."), fields={field: [_("Not a valid choice.")]})
    return value


@transaction.atomic
def customer_register(
    *, user: User, name: str = "", kind: str = CustomerKind.PERSON, country: str = "", actor: Actor | None = None
) -> Customer:
    """Open a customer account for a login that signed up; it becomes the account's owner."""
    _check_choice(kind, CustomerKind, "kind")
    customer = Customer(
        name=(name or user.full_name or user.email)[:200],
        kind=kind,
        country=country.upper()[:2],
        language=user.language,
    )
    validated(customer)
    customer.save()
    Contact.objects.create(customer=customer, user=user, role=ContactRole.OWNER)
    who = actor or actor_for_user(user)
    audit_record(
        actor=who.audit(),
        action="customer.register",
        customer_id=customer.pk,
        object_type="customer",
        object_id=customer.pk,
    )
    return customer


@transaction.atomic
def contact_add(*, actor: Actor, email: str, role: str, full_name: str = "") -> Contact:
    """Give a login (created without a password if new) a role on the actor's account."""
    customer = actor.require_customer(CustomerPermission.MANAGE_CONTACTS)
    email = _clean_email(email)
    _check_choice(role, ContactRole, "role")
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None, full_name=full_name.strip()[:200])
    if Contact.objects.filter(customer=customer, user=user).exists():
        raise Conflict(_("This person is already a contact of the account."))
    contact = Contact.objects.create(customer=customer, user=user, role=role)
    audit_record(
        actor=actor.audit(),
        action="contact.add",
        customer_id=customer.pk,
        object_type="contact",
        object_id=contact.pk,
        detail={"email": email, "role": role},
    )
    return contact


def _owners_left(customer: Customer, *, without: Contact) -> bool:
    return Contact.objects.filter(customer=customer, role=ContactRole.OWNER).exclude(pk=without.pk).exists()


@transaction.atomic
def contact_change_role(*, actor: Actor, contact_id: object, role: str) -> Contact:
    customer = actor.require_customer(CustomerPermission.MANAGE_CONTACTS)
    _check_choice(role, ContactRole, "role")
    # Lock every contact of the account so two owners cannot demote each other at once.
    list(Contact.objects.select_for_update().filter(customer=customer).order_by("pk"))
    contact = get_scoped(customer_scope(Contact.objects.all(), actor, CustomerPermission.MANAGE_CONTACTS), contact_id)
    if contact.role == ContactRole.OWNER and role != ContactRole.OWNER and not _owners_left(customer, without=contact):
        raise Conflict(_("An account must keep at least one owner."))
    previous = contact.role
    contact.role = role
    contact.save(update_fields=["role"])
    audit_record(
        actor=actor.audit(),
        action="contact.change_role",
        customer_id=customer.pk,
        object_type="contact",
        object_id=contact.pk,
        detail={"from": previous, "to": role},
    )
    return contact


@transaction.atomic
def contact_remove(*, actor: Actor, contact_id: object) -> None:
    customer = actor.require_customer(CustomerPermission.MANAGE_CONTACTS)
    list(Contact.objects.select_for_update().filter(customer=customer).order_by("pk"))
    contact = get_scoped(customer_scope(Contact.objects.all(), actor, CustomerPermission.MANAGE_CONTACTS), contact_id)
    if contact.role == ContactRole.OWNER and not _owners_left(customer, without=contact):
        raise Conflict(_("An account must keep at least one owner."))
    ApiToken.objects.filter(user=contact.user, customer=customer, revoked_at__isnull=True).update(
        revoked_at=clock.now()
    )
    audit_record(
        actor=actor.audit(),
        action="contact.remove",
        customer_id=customer.pk,
        object_type="contact",
        object_id=contact.pk,
        detail={"email": contact.user.email},
    )
    contact.delete()


@transaction.atomic
def legal_entity_save(*, actor: Actor, entity_id: object = None, values: dict[str, Any]) -> CustomerLegalEntity:
    """Create or change one of the account's legal entities; only known fields are taken."""
    customer = actor.require_customer(CustomerPermission.MANAGE_LEGAL_ENTITIES)
    if entity_id is None:
        entity = CustomerLegalEntity(customer=customer)
    else:
        entity = get_scoped(
            customer_scope(
                CustomerLegalEntity.objects.select_for_update(), actor, CustomerPermission.MANAGE_LEGAL_ENTITIES
            ),
            entity_id,
        )
    for field in LEGAL_ENTITY_FIELDS:
        if field in values:
            value = values[field]
            setattr(entity, field, value.strip() if isinstance(value, str) else value)
    entity.country = (entity.country or "").upper()
    validated(entity, exclude=["customer"])
    entity.save()
    if entity.is_default:
        CustomerLegalEntity.objects.filter(customer=customer).exclude(pk=entity.pk).update(is_default=False)
    audit_record(
        actor=actor.audit(),
        action="legal_entity.create" if entity_id is None else "legal_entity.update",
        customer_id=customer.pk,
        object_type="legal_entity",
        object_id=entity.pk,
        detail={"name": entity.name},
    )
    return entity


@transaction.atomic
def legal_entity_delete(*, actor: Actor, entity_id: object) -> None:
    customer = actor.require_customer(CustomerPermission.MANAGE_LEGAL_ENTITIES)
    entity = get_scoped(
        customer_scope(CustomerLegalEntity.objects.all(), actor, CustomerPermission.MANAGE_LEGAL_ENTITIES), entity_id
    )
    audit_record(
        actor=actor.audit(),
        action="legal_entity.delete",
        customer_id=customer.pk,
        object_type="legal_entity",
        object_id=entity.pk,
        detail={"name": entity.name},
    )
    entity.delete()


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: Actor, name: str, expires_at: dt.datetime | None = None) -> tuple[ApiToken, str]:
    """Make a personal token; returns it with its plain text, which is never stored or shown again.

    A customer-side actor gets a token bound to its current account; a staff actor outside
    any account gets a staff token.
    """
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed(
            _("Give the token a name of up to 100 characters."),
            fields={"name": [_("Required, at most 100 characters.")]},
        )
    if expires_at is not None and expires_at <= clock.now():
        raise ValidationFailed(_("The expiry must be in the future."), fields={"expires_at": [_("In the past.")]})
    if actor.is_customer:
        customer = actor.require_customer(CustomerPermission.MANAGE_OWN_TOKENS)
    elif actor.is_staff:
        customer = None
    else:
        actor.require_customer(CustomerPermission.MANAGE_OWN_TOKENS)
        customer = None
    if actor.user is None:
        raise PermissionRefused(_("Only a person can own an API token."))
    prefix = secrets.token_hex(TOKEN_PREFIX_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor.user,
        customer=customer,
        name=name,
        prefix=prefix,
        digest=token_digest(secret),
        created_at=clock.now(),
        expires_at=expires_at,
    )
    audit_record(
        actor=actor.audit(),
        action="api_token.create",
        customer_id=customer.pk if customer else None,
        object_type="api_token",
        object_id=token.pk,
        detail={"name": name},
    )
    outbox_emit(topic="account.api_token_created", payload={"token_id": token.pk})
    return token, f"hk_{prefix}_{secret}"


@transaction.atomic
def api_token_revoke(*, actor: Actor, token_id: object) -> ApiToken:
    """Revoke one of the caller's own tokens (staff admins may revoke any)."""
    if actor.can(StaffPermission.MANAGE_STAFF) and not actor.is_customer:
        queryset = ApiToken.objects.all()
    elif actor.is_customer:
        queryset = customer_scope(ApiToken.objects.all(), actor, CustomerPermission.MANAGE_OWN_TOKENS).filter(
            user=actor.user
        )
    else:
        queryset = ApiToken.objects.filter(user=actor.user, customer__isnull=True)
    token = get_scoped(queryset.select_for_update(), token_id)
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor.audit(),
            action="api_token.revoke",
            customer_id=token.customer_id,
            object_type="api_token",
            object_id=token.pk,
            detail={"name": token.name},
        )
    return token


def api_token_authenticate(*, raw: str, ip_address: str | None = None) -> Actor | None:
    """The Actor behind a presented token, or None for a malformed, unknown, revoked or
    expired one. Comparison of the digest is constant-time."""
    parts = (raw or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "hk" or len(parts[1]) != TOKEN_PREFIX_LENGTH:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.digest, token_digest(parts[2])):
        return None
    now = clock.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    actor = actor_for_user(token.user, ip_address=ip_address, token=token)
    if token.customer_id is not None and not actor.is_customer:
        return None  # the owner is no longer a contact of that account
    if token.customer_id is None and not actor.is_staff:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return actor


@transaction.atomic
def staff_member_save(
    *, actor: Actor, email: str, role: str, full_name: str = "", password: str | None = None
) -> StaffMember:
    """Make a login a staff member with the given role (or change the role)."""
    actor.require(StaffPermission.MANAGE_STAFF)
    email = _clean_email(email)
    _check_choice(role, StaffRole, "role")
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, full_name=full_name.strip()[:200])
    member, _created = StaffMember.objects.update_or_create(user=user, defaults={"role": role, "is_active": True})
    if role == StaffRole.ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    audit_record(
        actor=actor.audit(),
        action="staff.save",
        object_type="staff_member",
        object_id=member.pk,
        detail={"email": email, "role": role},
    )
    return member


@transaction.atomic
def user_set_language(*, actor: Actor, language: str) -> None:
    """Remember the language a login chose, for pages and for messages sent to it."""
    _check_choice(language, Language, "language")
    if actor.user is None:
        return
    User.objects.filter(pk=actor.user.pk).update(language=language)
