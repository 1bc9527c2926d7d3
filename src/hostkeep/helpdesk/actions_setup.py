"""Writes of the helpdesk's set-up: departments, SLA targets, mailboxes, widget keys and hourly
rates. The staff pages and the API both call these, so a value is checked in one place; every
refusal raises before anything is written. Each write is atomic with one audit entry. The
mailbox connection test is the one call outside: it holds no transaction while it talks IMAP."""

from __future__ import annotations

import contextlib
import secrets
import socket
import ssl
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _
from imap_tools import BaseMailBox, MailBox, MailBoxUnencrypted
from imap_tools.errors import MailboxFolderSelectError, MailboxLoginError

from hostkeep.accounts.models import Customer, Project, StaffMember
from hostkeep.accounts.permissions import Actor, StaffPermission
from hostkeep.catalog.models import Plan
from hostkeep.core import clock
from hostkeep.core.actions import audit_record
from hostkeep.core.errors import NotFound, ValidationFailed
from hostkeep.core.money import MINOR_UNITS
from hostkeep.helpdesk.models import AgentRate, CustomerRate, Department, Mailbox, SlaPolicy, WidgetKey

# Who may change the helpdesk's set-up: the staff who manage what is sold (admins and managers).
# Support lines answer tickets but do not change departments, targets, mailboxes or rates.
SETUP_PERMISSION = StaffPermission.MANAGE_HELPDESK
MAX_MINUTES = 365 * 24 * 60
MAX_ORIGINS = 20
MAX_WIDGET_PER_HOUR = 10_000
IMAP_TEST_TIMEOUT = 15


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def _id(value: object) -> int | None:
    """An id from a form or payload; None for empty, 0 (which matches no row) for junk."""
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def _row_or_new[M: Model](model: type[M], value: object, missing: str) -> M:
    """The row to change (``value`` is its id), or a new one when no id is given."""
    pk = _id(value)
    if pk is None:
        return model()
    row = model._default_manager.filter(pk=pk).first()
    if row is None:
        raise NotFound(missing)
    return row


def _text(value: object, field: str, *, limit: int, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise _refuse(field, _("This field is required."))
    if len(text) > limit:
        raise _refuse(field, _("Too long (at most %(limit)s characters).") % {"limit": limit})
    return text


def _email(value: object, field: str, *, required: bool) -> str:
    address = str(value or "").strip().lower()
    if not address and not required:
        return ""
    try:
        validate_email(address)
    except ValidationError:
        raise _refuse(field, _("Enter a valid e-mail address.")) from None
    return address


def _amount(value: object, field: str, *, required: bool) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise _refuse(field, _("Enter an amount."))
        return None
    if isinstance(value, float | bool):
        raise _refuse(field, _("Enter an amount such as 250.00."))
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise _refuse(field, _("Enter an amount such as 250.00.")) from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise _refuse(field, _("Enter an amount of 0 or more."))
    if amount != amount.quantize(Decimal("0.0001")):
        raise _refuse(field, _("At most 4 decimal places."))
    return amount


def _currency(value: object, field: str = "currency") -> str:
    code = str(value or "").strip().upper()
    if code not in MINOR_UNITS:
        raise _refuse(field, _("Unknown currency."))
    return code


def _minutes(value: object, field: str) -> int:
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        raise _refuse(field, _("Enter a whole number of minutes.")) from None
    if not 0 < minutes <= MAX_MINUTES:
        raise _refuse(field, _("Enter 1 to %(max)s minutes.") % {"max": MAX_MINUTES})
    return minutes


def _department(value: object, field: str = "department") -> Department:
    department = Department.objects.filter(pk=_id(value) or 0).first()
    if department is None:
        raise _refuse(field, _("Choose a department."))
    return department


def _audit(actor: Actor, action: str, object_type: str, object_id: int, **detail: object) -> None:
    audit_record(
        actor=actor.audit(), action=action, object_type=object_type, object_id=object_id, detail=detail or None
    )


# --- departments -----------------------------------------------------------------------------


class DepartmentCharging:
    """How a department's tickets are paid for."""

    FREE = "free"
    FIXED = "fixed"
    TIME = "time"
    VALUES = (FREE, FIXED, TIME)


@transaction.atomic
def department_save(
    *,
    actor: Actor,
    department_id: object = None,
    name: str,
    email: str = "",
    is_public: bool = True,
    charging: str = DepartmentCharging.FREE,
    price_per_ticket: object = None,
    currency: str = "",
    sort_order: object = 0,
) -> Department:
    """Add or change a department. A paid one charges either a fixed price per ticket (the
    price is required and above zero) or by the billable time logged (no price); a free one
    keeps no price. The name stays unique."""
    actor.require(SETUP_PERMISSION)
    department = _row_or_new(Department, department_id, _("Department not found."))
    name = _text(name, "name", limit=120)
    if Department.objects.filter(name__iexact=name).exclude(pk=department.pk).exists():
        raise _refuse("name", _("There is already a department with this name."))
    if charging not in DepartmentCharging.VALUES:
        raise _refuse("charging", _("Choose how the department's tickets are paid for."))
    price = _amount(price_per_ticket, "price_per_ticket", required=charging == DepartmentCharging.FIXED)
    if charging == DepartmentCharging.FIXED and price is not None and price <= 0:
        raise _refuse("price_per_ticket", _("A fixed price is more than 0."))
    try:
        order = int(str(sort_order or 0))
    except ValueError:
        raise _refuse("sort_order", _("Enter a whole number.")) from None
    if not 0 <= order <= 100_000:
        raise _refuse("sort_order", _("Enter 0 to 100000."))
    department.name = name
    department.email = _email(email, "email", required=False)
    department.is_public = bool(is_public)
    department.is_paid = charging != DepartmentCharging.FREE
    department.price_per_ticket = price if charging == DepartmentCharging.FIXED else None
    department.currency = _currency(currency or department.currency)
    department.sort_order = order
    department.save()
    _audit(actor, "helpdesk.department_save", "department", department.pk, name=name, charging=charging)
    return department


def department_charging(department: Department) -> str:
    if not department.is_paid:
        return DepartmentCharging.FREE
    return DepartmentCharging.FIXED if department.price_per_ticket else DepartmentCharging.TIME


# --- SLA targets -----------------------------------------------------------------------------


@transaction.atomic
def sla_policy_save(
    *,
    actor: Actor,
    policy_id: object = None,
    department_id: object = None,
    plan_id: object = None,
    first_response_minutes: object,
    resolution_minutes: object,
) -> SlaPolicy:
    """Add or change an SLA target for a department (or every department) and a plan (or every
    plan). Resolution may not come before the first response; one target per pair."""
    actor.require(SETUP_PERMISSION)
    policy = _row_or_new(SlaPolicy, policy_id, _("SLA target not found."))
    department = None if _id(department_id) is None else _department(department_id)
    plan = None
    plan_pk = _id(plan_id)
    if plan_pk is not None:
        plan = Plan.objects.filter(pk=plan_pk).first()
        if plan is None:
            raise _refuse("plan", _("Unknown plan."))
    first = _minutes(first_response_minutes, "first_response_minutes")
    resolution = _minutes(resolution_minutes, "resolution_minutes")
    if resolution < first:
        raise _refuse("resolution_minutes", _("Resolution cannot be due before the first response."))
    clash = SlaPolicy.objects.filter(department=department, plan=plan).exclude(pk=policy.pk)
    if clash.exists():
        raise _refuse("plan", _("There is already a target for this department and plan."))
    policy.department, policy.plan = department, plan
    policy.first_response_minutes, policy.resolution_minutes = first, resolution
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:  # saved by someone else at the same moment
        raise _refuse("plan", _("There is already a target for this department and plan.")) from None
    _audit(
        actor,
        "helpdesk.sla_save",
        "sla_policy",
        policy.pk,
        department=department.pk if department else None,
        plan=plan.pk if plan else None,
        first_response=first,
        resolution=resolution,
    )
    return policy


@transaction.atomic
def sla_policy_delete(*, actor: Actor, policy_id: object) -> None:
    """Remove a target; tickets opened under it keep the due times they were given."""
    actor.require(SETUP_PERMISSION)
    policy = SlaPolicy.objects.filter(pk=_id(policy_id) or 0).first()
    if policy is None:
        raise NotFound(_("SLA target not found."))
    pk = policy.pk
    policy.delete()
    _audit(actor, "helpdesk.sla_delete", "sla_policy", pk)


# --- mailboxes -------------------------------------------------------------------------------


@transaction.atomic
def mailbox_save(
    *,
    actor: Actor,
    mailbox_id: object = None,
    name: str,
    address: str,
    host: str,
    port: object = 993,
    use_ssl: bool = True,
    username: str,
    password: str = "",
    folder: str = "INBOX",
    department_id: object,
    is_active: bool = True,
) -> Mailbox:
    """Add or change an IMAP mailbox. The password is stored encrypted; an empty password on
    a change keeps the stored one (it is never shown back)."""
    actor.require(SETUP_PERMISSION)
    mailbox = _row_or_new(Mailbox, mailbox_id, _("Mailbox not found."))
    name = _text(name, "name", limit=100)
    if Mailbox.objects.filter(name__iexact=name).exclude(pk=mailbox.pk).exists():
        raise _refuse("name", _("There is already a mailbox with this name."))
    host = _text(host, "host", limit=200)
    if any(character.isspace() or character in "/@:" for character in host):
        raise _refuse("host", _("Enter a host name or address, without a scheme or port."))
    try:
        port_number = int(str(port).strip())
    except (TypeError, ValueError):
        raise _refuse("port", _("Enter a port number.")) from None
    if not 0 < port_number < 65536:
        raise _refuse("port", _("Enter a port from 1 to 65535."))
    password = str(password or "")
    if not password and mailbox.pk is None:
        raise _refuse("password", _("This field is required."))
    if len(password) > 500:
        raise _refuse("password", _("Too long (at most %(limit)s characters).") % {"limit": 500})
    mailbox.name = name
    mailbox.address = _email(address, "address", required=True)
    mailbox.host = host
    mailbox.port = port_number
    mailbox.use_ssl = bool(use_ssl)
    mailbox.username = _text(username, "username", limit=200)
    if password:
        mailbox.password = password
    mailbox.folder = _text(folder or "INBOX", "folder", limit=100)
    mailbox.department = _department(department_id)
    mailbox.is_active = bool(is_active)
    mailbox.save()
    _audit(actor, "helpdesk.mailbox_save", "mailbox", mailbox.pk, name=name, host=host, active=mailbox.is_active)
    return mailbox


@dataclass(frozen=True)
class ConnectionReport:
    ok: bool
    message: str


def mailbox_test(*, actor: Actor, mailbox_id: object) -> ConnectionReport:
    """Log in to the mailbox's IMAP server with the stored credentials and open its folder,
    saying plainly what failed: the address, the connection, TLS, the log-in or the folder.
    Nothing is fetched or marked seen. No transaction is held while the server answers."""
    actor.require(SETUP_PERMISSION)
    mailbox = Mailbox.objects.filter(pk=_id(mailbox_id) or 0).first()
    if mailbox is None:
        raise NotFound(_("Mailbox not found."))
    where = f"{mailbox.host}:{mailbox.port}"
    box_class = MailBox if mailbox.use_ssl else MailBoxUnencrypted
    try:
        client = box_class(mailbox.host, port=mailbox.port, timeout=IMAP_TEST_TIMEOUT)
    except socket.gaierror:
        return ConnectionReport(False, _("%(host)s: the host name is not known.") % {"host": mailbox.host})
    except TimeoutError:
        return ConnectionReport(
            False, _("%(where)s: no answer in %(seconds)s s.") % {"where": where, "seconds": IMAP_TEST_TIMEOUT}
        )
    except ConnectionRefusedError:
        return ConnectionReport(False, _("%(where)s: the connection was refused.") % {"where": where})
    except ssl.SSLError as error:
        return ConnectionReport(
            False, _("%(where)s: TLS failed (%(reason)s).") % {"where": where, "reason": error.reason or error}
        )
    except OSError as error:
        return ConnectionReport(False, _("%(where)s: cannot connect (%(reason)s).") % {"where": where, "reason": error})
    try:
        return _imap_check(client, mailbox, where)
    except TimeoutError:
        return ConnectionReport(
            False, _("%(where)s: no answer in %(seconds)s s.") % {"where": where, "seconds": IMAP_TEST_TIMEOUT}
        )
    except Exception as error:  # any other protocol failure is reported, not raised
        reason = f"{type(error).__name__}: {error}"[:300]
        return ConnectionReport(False, _("%(where)s: %(reason)s") % {"where": where, "reason": reason})
    finally:
        with contextlib.suppress(Exception):
            client.logout()


def _imap_check(client: BaseMailBox, mailbox: Mailbox, where: str) -> ConnectionReport:
    try:
        client.login(mailbox.username, mailbox.password, initial_folder=None)
    except MailboxLoginError:
        return ConnectionReport(False, _("%(where)s: the server refused the user name or password.") % {"where": where})
    try:
        client.folder.set(mailbox.folder, readonly=True)
    except MailboxFolderSelectError:
        return ConnectionReport(
            False, _("Logged in, but there is no folder “%(folder)s”.") % {"folder": mailbox.folder}
        )
    status = client.folder.status(mailbox.folder, ["MESSAGES", "UNSEEN"])
    return ConnectionReport(
        True,
        _("Logged in to %(where)s as %(user)s; “%(folder)s” holds %(messages)s messages, %(unseen)s unread.")
        % {
            "where": where,
            "user": mailbox.username,
            "folder": mailbox.folder,
            "messages": status.get("MESSAGES", 0),
            "unseen": status.get("UNSEEN", 0),
        },
    )


# --- widget keys -----------------------------------------------------------------------------


def _origins(value: object) -> str:
    """One origin per line, each ``scheme://host[:port]`` over http(s) with nothing after."""
    lines = [line.strip().rstrip("/") for line in str(value or "").splitlines() if line.strip()]
    if not lines:
        raise _refuse("allowed_origins", _("Give at least one origin, e.g. https://example.com"))
    if len(lines) > MAX_ORIGINS:
        raise _refuse("allowed_origins", _("At most %(count)s origins.") % {"count": MAX_ORIGINS})
    cleaned: list[str] = []
    for line in lines:
        parts = urlsplit(line)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
            or parts.username
            or port == -1
            or len(line) > 200
        ):
            raise _refuse(
                "allowed_origins",
                _("“%(origin)s” is not an origin such as https://example.com") % {"origin": line[:100]},
            )
        origin = f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")
        if origin not in cleaned:
            cleaned.append(origin)
    return "\n".join(cleaned)


def _hourly_limit(value: object) -> int | None:
    """Empty for the site-wide default, else a whole number from 1 to ``MAX_WIDGET_PER_HOUR``."""
    if value in (None, ""):
        return None
    number = _id(value)
    if number is None or not 1 <= number <= MAX_WIDGET_PER_HOUR:
        raise _refuse(
            "hourly_limit",
            _("Give a whole number from 1 to %(maximum)s, or leave it empty for the default.")
            % {"maximum": MAX_WIDGET_PER_HOUR},
        )
    return number


def _new_widget_key() -> str:
    return secrets.token_urlsafe(24)


@transaction.atomic
def widget_key_create(
    *, actor: Actor, project_id: object, department_id: object, allowed_origins: str, hourly_limit: object = None
) -> WidgetKey:
    """A new key for a customer's project, for the script tag on the project's site."""
    actor.require(SETUP_PERMISSION)
    project = Project.objects.select_related("customer").filter(pk=_id(project_id) or 0).first()
    if project is None:
        raise _refuse("project", _("Choose a project."))
    key = WidgetKey.objects.create(
        project=project,
        department=_department(department_id),
        key=_new_widget_key(),
        allowed_origins=_origins(allowed_origins),
        hourly_limit=_hourly_limit(hourly_limit),
        is_active=True,
        created_at=clock.now(),
    )
    _audit(actor, "helpdesk.widget_key_create", "widget_key", key.pk, project=project.pk)
    return key


def _widget_key(key_id: object) -> WidgetKey:
    key = WidgetKey.objects.select_for_update().filter(pk=_id(key_id) or 0).first()
    if key is None:
        raise NotFound(_("Widget key not found."))
    return key


@transaction.atomic
def widget_key_update(
    *, actor: Actor, key_id: object, department_id: object, allowed_origins: str, hourly_limit: object = None
) -> WidgetKey:
    actor.require(SETUP_PERMISSION)
    key = _widget_key(key_id)
    key.department = _department(department_id)
    key.allowed_origins = _origins(allowed_origins)
    key.hourly_limit = _hourly_limit(hourly_limit)
    key.save(update_fields=["department", "allowed_origins", "hourly_limit"])
    _audit(actor, "helpdesk.widget_key_update", "widget_key", key.pk)
    return key


@transaction.atomic
def widget_key_rotate(*, actor: Actor, key_id: object) -> WidgetKey:
    """Replace the key: the old script tag stops working at once, the new one must be embedded.
    A revoked key comes back active under its new value."""
    actor.require(SETUP_PERMISSION)
    key = _widget_key(key_id)
    key.key = _new_widget_key()
    key.is_active = True
    key.save(update_fields=["key", "is_active"])
    _audit(actor, "helpdesk.widget_key_rotate", "widget_key", key.pk)
    return key


@transaction.atomic
def widget_key_revoke(*, actor: Actor, key_id: object) -> WidgetKey:
    """Switch a key off: its script and submissions are refused from now on."""
    actor.require(SETUP_PERMISSION)
    key = _widget_key(key_id)
    key.is_active = False
    key.save(update_fields=["is_active"])
    _audit(actor, "helpdesk.widget_key_revoke", "widget_key", key.pk)
    return key


# --- hourly rates ----------------------------------------------------------------------------


@transaction.atomic
def agent_rate_save(*, actor: Actor, staff_id: object, hourly_rate: object, currency: str) -> AgentRate:
    """An agent's hourly rate (one per agent). Time already logged keeps the rate it had."""
    actor.require(SETUP_PERMISSION)
    member = StaffMember.objects.select_related("user").filter(pk=_id(staff_id) or 0).first()
    if member is None:
        raise _refuse("staff", _("Choose a staff member."))
    amount = _amount(hourly_rate, "hourly_rate", required=True) or Decimal(0)
    rate, _created = AgentRate.objects.update_or_create(
        staff=member, defaults={"hourly_rate": amount, "currency": _currency(currency)}
    )
    _audit(actor, "helpdesk.agent_rate_save", "agent_rate", rate.pk, staff=member.pk, rate=str(amount))
    return rate


@transaction.atomic
def agent_rate_delete(*, actor: Actor, rate_id: object) -> None:
    actor.require(SETUP_PERMISSION)
    rate = AgentRate.objects.filter(pk=_id(rate_id) or 0).first()
    if rate is None:
        raise NotFound(_("Rate not found."))
    pk = rate.pk
    rate.delete()
    _audit(actor, "helpdesk.agent_rate_delete", "agent_rate", pk)


@transaction.atomic
def customer_rate_save(*, actor: Actor, customer_id: object, hourly_rate: object) -> CustomerRate:
    """A customer's own hourly rate, in the customer's currency; it wins over agents' rates."""
    actor.require(SETUP_PERMISSION)
    customer = Customer.objects.filter(pk=_id(customer_id) or 0).first()
    if customer is None:
        raise _refuse("customer", _("Unknown customer."))
    amount = _amount(hourly_rate, "hourly_rate", required=True) or Decimal(0)
    rate, _created = CustomerRate.objects.update_or_create(customer=customer, defaults={"hourly_rate": amount})
    _audit(actor, "helpdesk.customer_rate_save", "customer_rate", rate.pk, customer=customer.pk, rate=str(amount))
    return rate


@transaction.atomic
def customer_rate_delete(*, actor: Actor, rate_id: object) -> None:
    actor.require(SETUP_PERMISSION)
    rate = CustomerRate.objects.filter(pk=_id(rate_id) or 0).first()
    if rate is None:
        raise NotFound(_("Rate not found."))
    pk = rate.pk
    rate.delete()
    _audit(actor, "helpdesk.customer_rate_delete", "customer_rate", pk)
