"""Reads of accounts. Customer-facing reads start from ``customer_scope`` so no query can
forget the caller's account; staff reads start from a staff permission check."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Model, Q, QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from hostkeep.accounts.choices import CustomerStatus
from hostkeep.accounts.models import ApiToken, Contact, Customer, CustomerLegalEntity, StaffMember, User
from hostkeep.accounts.permissions import Actor, CustomerPermission, StaffPermission
from hostkeep.core.choices import ActorKind
from hostkeep.core.errors import NotFound
from hostkeep.core.models import AuditEvent


def customer_scope[M: Model](
    queryset: QuerySet[M], actor: Actor, permission: CustomerPermission, *, field: str = "customer"
) -> QuerySet[M]:
    """The one place a customer-facing query is narrowed to the caller's own account."""
    customer = actor.require_customer(permission)
    return queryset.filter(**{field: customer})


def get_scoped[M: Model](queryset: QuerySet[M], pk: object) -> M:
    """One row of an already scoped queryset; someone else's id is simply not found."""
    try:
        return queryset.get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise NotFound(
            _("%(object)s not found.") % {"object": capfirst(str(queryset.model._meta.verbose_name))}
        ) from None


def actor_for_user(
    user: User | None,
    *,
    customer_id: object = None,
    ip_address: str | None = None,
    token: ApiToken | None = None,
) -> Actor:
    """Build the Actor of a logged-in user (or of a token's owner)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Actor(kind=ActorKind.ANONYMOUS, ip_address=ip_address)
    staff = StaffMember.objects.filter(user=user, is_active=True).only("role").first()
    contacts = Contact.objects.filter(user=user, customer__status=CustomerStatus.ACTIVE).select_related("customer")
    if token is not None:
        contacts = contacts.filter(customer_id=token.customer_id) if token.customer_id else contacts.none()
    elif customer_id is not None:
        chosen = contacts.filter(customer_id=int(str(customer_id))) if str(customer_id).isdigit() else contacts.none()
        contacts = chosen if chosen.exists() else contacts
    contact = contacts.order_by("customer_id").first()
    staff_role = staff.role if staff and (token is None or token.customer_id is None) else None
    if token is not None:
        kind = ActorKind.API_TOKEN
    elif staff_role:
        kind = ActorKind.STAFF
    else:
        kind = ActorKind.CUSTOMER
    return Actor(
        kind=kind,
        user=user,
        customer=contact.customer if contact else None,
        contact_role=contact.role if contact else None,
        staff_role=staff_role,
        token=token,
        ip_address=ip_address,
    )


def accounts_of_user(user: User | None) -> QuerySet[Contact]:
    """The accounts a login may switch between in the portal."""
    if user is None:
        return Contact.objects.none()
    return (
        Contact.objects.filter(user=user, customer__status=CustomerStatus.ACTIVE)
        .select_related("customer")
        .order_by("customer__name")
    )


def contacts_for_customer(actor: Actor) -> QuerySet[Contact]:
    return customer_scope(Contact.objects.select_related("user"), actor, CustomerPermission.VIEW_ACCOUNT).order_by(
        "user__email"
    )


def legal_entities_for_customer(actor: Actor) -> QuerySet[CustomerLegalEntity]:
    return customer_scope(CustomerLegalEntity.objects.all(), actor, CustomerPermission.VIEW_ACCOUNT)


def tokens_for_actor(actor: Actor) -> QuerySet[ApiToken]:
    """The caller's own tokens for the account it acts for (never another contact's)."""
    return customer_scope(ApiToken.objects.all(), actor, CustomerPermission.MANAGE_OWN_TOKENS).filter(user=actor.user)


def audit_for_customer(actor: Actor) -> QuerySet[AuditEvent]:
    customer = actor.require_customer(CustomerPermission.VIEW_AUDIT)
    return AuditEvent.objects.filter(customer_id=customer.pk).order_by("-occurred_at", "-id")


def customers_for_staff(actor: Actor, *, search: str = "") -> QuerySet[Customer]:
    actor.require(StaffPermission.VIEW_CUSTOMERS)
    queryset = Customer.objects.annotate(contact_count=Count("contacts"))
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(contacts__user__email__icontains=search)).distinct()
    return queryset.order_by("name", "id")


def customer_for_staff(actor: Actor, customer_id: object) -> Customer:
    actor.require(StaffPermission.VIEW_CUSTOMERS)
    return get_scoped(Customer.objects.all(), customer_id)


def customer_contacts_for_staff(actor: Actor, customer: Customer) -> QuerySet[Contact]:
    actor.require(StaffPermission.VIEW_CUSTOMERS)
    return Contact.objects.filter(customer=customer).select_related("user").order_by("user__email")


def customer_legal_entities_for_staff(actor: Actor, customer: Customer) -> QuerySet[CustomerLegalEntity]:
    actor.require(StaffPermission.VIEW_CUSTOMERS)
    return CustomerLegalEntity.objects.filter(customer=customer)


def audit_for_staff(actor: Actor, *, customer_id: int | None = None) -> QuerySet[AuditEvent]:
    actor.require(StaffPermission.VIEW_AUDIT)
    queryset = AuditEvent.objects.select_related("actor_user").order_by("-occurred_at", "-id")
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    return queryset


def staff_members_for_staff(actor: Actor) -> QuerySet[StaffMember]:
    actor.require(StaffPermission.MANAGE_STAFF)
    return StaffMember.objects.select_related("user").order_by("user__email")
