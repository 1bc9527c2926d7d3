"""Who may do what: the one table of permissions per role, and the Actor that carries them.

Views, API endpoints and jobs all ask the same Actor (``actor.require(...)``), so a rule is
written once. Customer-side permissions come from the contact's role on the account the
actor is acting for; staff permissions from the staff member's role.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _

from hostkeep.accounts.choices import ContactRole, StaffRole
from hostkeep.accounts.models import ApiToken, Customer, User
from hostkeep.core.actions import AuditActor
from hostkeep.core.choices import ActorKind
from hostkeep.core.errors import PermissionRefused


class CustomerPermission(StrEnum):
    VIEW_ACCOUNT = "view_account"
    MANAGE_CONTACTS = "manage_contacts"
    MANAGE_LEGAL_ENTITIES = "manage_legal_entities"
    MANAGE_OWN_TOKENS = "manage_own_tokens"
    VIEW_AUDIT = "view_audit"
    VIEW_SERVICES = "view_services"
    MANAGE_SERVICES = "manage_services"
    ORDER = "order"
    VIEW_BILLING = "view_billing"
    PAY = "pay"
    OPEN_TICKETS = "open_tickets"


class StaffPermission(StrEnum):
    VIEW_CUSTOMERS = "view_customers"
    MANAGE_CUSTOMERS = "manage_customers"
    VIEW_AUDIT = "view_audit"
    MANAGE_STAFF = "manage_staff"
    MANAGE_CATALOG = "manage_catalog"
    VIEW_BILLING = "view_billing"
    MANAGE_BILLING = "manage_billing"
    VIEW_TICKETS = "view_tickets"
    ANSWER_TICKETS = "answer_tickets"
    MANAGE_SERVICES = "manage_services"
    MANAGE_PROVISIONING = "manage_provisioning"
    MANAGE_HELPDESK = "manage_helpdesk"


_C = CustomerPermission
CONTACT_ROLE_PERMISSIONS: dict[str, frozenset[CustomerPermission]] = {
    ContactRole.OWNER: frozenset(CustomerPermission),
    ContactRole.BILLING: frozenset(
        {
            _C.VIEW_ACCOUNT,
            _C.MANAGE_LEGAL_ENTITIES,
            _C.MANAGE_OWN_TOKENS,
            _C.VIEW_SERVICES,
            _C.ORDER,
            _C.VIEW_BILLING,
            _C.PAY,
            _C.OPEN_TICKETS,
        }
    ),
    ContactRole.TECHNICAL: frozenset(
        {_C.VIEW_ACCOUNT, _C.MANAGE_OWN_TOKENS, _C.VIEW_SERVICES, _C.MANAGE_SERVICES, _C.OPEN_TICKETS}
    ),
    ContactRole.READ_ONLY: frozenset({_C.VIEW_ACCOUNT, _C.VIEW_SERVICES}),
}

_S = StaffPermission
_SUPPORT = {_S.VIEW_CUSTOMERS, _S.VIEW_TICKETS, _S.ANSWER_TICKETS}
STAFF_ROLE_PERMISSIONS: dict[str, frozenset[StaffPermission]] = {
    StaffRole.ADMIN: frozenset(StaffPermission),
    StaffRole.MANAGER: frozenset(
        {
            _S.VIEW_CUSTOMERS,
            _S.MANAGE_CUSTOMERS,
            _S.VIEW_AUDIT,
            _S.MANAGE_CATALOG,
            _S.VIEW_BILLING,
            _S.VIEW_TICKETS,
            _S.ANSWER_TICKETS,
            _S.MANAGE_SERVICES,
            _S.MANAGE_HELPDESK,
        }
    ),
    StaffRole.ACCOUNTANT: frozenset({_S.VIEW_CUSTOMERS, _S.VIEW_AUDIT, _S.VIEW_BILLING, _S.MANAGE_BILLING}),
    StaffRole.SUPPORT_LINE_1: frozenset(_SUPPORT),
    StaffRole.SUPPORT_LINE_2: frozenset(_SUPPORT | {_S.MANAGE_SERVICES}),
    StaffRole.SUPPORT_LINE_3: frozenset(_SUPPORT | {_S.MANAGE_SERVICES, _S.MANAGE_PROVISIONING}),
    StaffRole.ENGINEER: frozenset({_S.VIEW_CUSTOMERS, _S.VIEW_TICKETS, _S.MANAGE_SERVICES, _S.MANAGE_PROVISIONING}),
}


@dataclass(frozen=True)
class Actor:
    """Whoever is acting: a customer's contact, a staff member, an API token or the system.

    ``customer`` is the account a customer-side actor acts for; every customer-facing
    selector scopes its query to it (see ``selectors.customer_scope``).
    """

    kind: str
    user: User | None = None
    customer: Customer | None = None
    contact_role: str | None = None
    staff_role: str | None = None
    token: ApiToken | None = None
    ip_address: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.staff_role is not None

    @property
    def is_customer(self) -> bool:
        return self.customer is not None and self.contact_role is not None

    @property
    def contact_role_label(self) -> str:
        """The contact role as people read it, in the current language."""
        return str(ContactRole(self.contact_role).label) if self.contact_role else ""

    @property
    def staff_role_label(self) -> str:
        """The staff role as people read it, in the current language."""
        return str(StaffRole(self.staff_role).label) if self.staff_role else ""

    @property
    def customer_permissions(self) -> frozenset[CustomerPermission]:
        if not self.contact_role:
            return frozenset()
        return CONTACT_ROLE_PERMISSIONS.get(self.contact_role, frozenset())

    @property
    def staff_permissions(self) -> frozenset[StaffPermission]:
        if not self.staff_role:
            return frozenset()
        return STAFF_ROLE_PERMISSIONS.get(self.staff_role, frozenset())

    def can(self, permission: CustomerPermission | StaffPermission) -> bool:
        if self.kind == ActorKind.SYSTEM:
            return True
        if isinstance(permission, StaffPermission):
            return permission in self.staff_permissions
        return permission in self.customer_permissions

    def require(self, permission: CustomerPermission | StaffPermission) -> None:
        if not self.can(permission):
            raise PermissionRefused(_("You do not have permission to do this."))

    def require_customer(self, permission: CustomerPermission = CustomerPermission.VIEW_ACCOUNT) -> Customer:
        """The account this actor acts for, after checking the permission there."""
        if self.customer is None or self.contact_role is None:
            raise PermissionRefused(_("This needs a customer account."))
        self.require(permission)
        return self.customer

    def audit(self) -> AuditActor:
        label = self.user.email if self.user else self.kind
        if self.token is not None:
            label = f"{label} (token {self.token.name})"
        return AuditActor(
            kind=self.kind, user_id=self.user.pk if self.user else None, label=label, ip_address=self.ip_address
        )


SYSTEM_ACTOR = Actor(kind=ActorKind.SYSTEM)
ANONYMOUS_ACTOR = Actor(kind=ActorKind.ANONYMOUS)
