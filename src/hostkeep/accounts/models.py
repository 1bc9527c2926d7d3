"""People and organisations: logins, customer accounts, their contacts and legal entities,
staff, and personal API tokens."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from hostkeep.accounts.choices import ContactRole, CustomerKind, CustomerStatus, Language, StaffRole


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("an e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A login, identified by e-mail. Whether it is staff or a customer's contact (or both)
    is decided by its StaffMember and Contact rows, never by flags on this model;
    ``is_staff`` only opens Django's configuration admin."""

    email = models.EmailField(_("e-mail"), max_length=254, unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.ENGLISH)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("configuration admin"), default=False)
    date_joined = models.DateTimeField(_("joined"), auto_now_add=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ci")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


def default_currency() -> str:
    return str(getattr(settings, "DEFAULT_CURRENCY", "USD"))


class Customer(models.Model):
    """A customer account: a company or a person that buys services and pays for them.
    Everything it buys is priced and billed in its one ``currency``."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=CustomerKind.choices, default=CustomerKind.PERSON)
    status = models.CharField(_("status"), max_length=16, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166 code, e.g. ZA"))
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.ENGLISH)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    notes = models.TextField(_("staff notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A login's membership of a customer account, with its role there. One user may be a
    contact of several accounts (an agency's manager, a group of companies)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="contacts")
    role = models.CharField(_("role"), max_length=16, choices=ContactRole.choices)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["customer_id", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [models.UniqueConstraint(fields=["customer", "user"], name="contact_once_per_customer")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) @ {self.customer}"


class CustomerLegalEntity(models.Model):
    """A legal entity of a customer that documents are made out to (a studio's client may
    have several companies)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="legal_entities")
    name = models.CharField(_("legal name"), max_length=300)
    tax_id = models.CharField(_("tax id"), max_length=64, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=64, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    address = models.TextField(_("address"), blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=64, blank=True)
    bank_code = models.CharField(_("bank code (BIC, branch)"), max_length=32, blank=True)
    is_default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["customer_id", "-is_default", "name"]
        verbose_name = _("customer legal entity")
        verbose_name_plural = _("customer legal entities")

    def __str__(self) -> str:
        return self.name


class StaffMember(models.Model):
    """A login that works for the provider, with the one role that decides what it may do."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="staff_member")
    role = models.CharField(_("role"), max_length=16, choices=StaffRole.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__email"]
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest of the secret is stored; the secret is
    shown once. A customer token is bound to one account and acts with the owner's current
    contact role there; a staff token acts with the staff role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} (hk_{self.prefix}_…)"


class ProviderLegalEntity(models.Model):
    """A legal entity of the provider that sells, invoices and collects VAT. Invoice and act
    numbers run per entity and year; each customer is served by one (its billing profile)."""

    name = models.CharField(_("legal name"), max_length=300)
    short_code = models.SlugField(_("code"), max_length=20, unique=True, help_text=_("Used in document numbers."))
    registration_number = models.CharField(_("registration number"), max_length=64, blank=True)
    tax_id = models.CharField(_("VAT / tax id"), max_length=64, blank=True)
    country = models.CharField(_("country"), max_length=2)
    address = models.TextField(_("address"), blank=True)
    bank_details = models.TextField(_("bank details"), blank=True)
    vat_registered = models.BooleanField(_("charges VAT"), default=True)
    prices_include_tax = models.BooleanField(_("list prices include VAT"), default=False)
    payment_terms_days = models.PositiveIntegerField(_("payment terms, days (postpaid)"), default=14)
    is_default = models.BooleanField(_("default"), default=False)
    # What documents (invoices, acts, contracts) show: the local-language name and address,
    # the images and the person who signs. Issued documents keep their own copies, so a
    # change here affects only documents issued afterwards.
    name_ru = models.CharField(_("legal name in Russian"), max_length=300, blank=True)
    address_ru = models.TextField(_("address in Russian"), blank=True)
    bank_details_ru = models.TextField(_("bank details in Russian"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="provider/logos/", blank=True)
    stamp = models.ImageField(_("stamp image"), upload_to="provider/stamps/", blank=True)
    signature = models.ImageField(_("signature image"), upload_to="provider/signatures/", blank=True)
    signer_name = models.CharField(_("signed by"), max_length=200, blank=True)
    signer_position = models.CharField(_("signer's position"), max_length=200, blank=True)
    signer_name_ru = models.CharField(_("signed by, in Russian"), max_length=200, blank=True)
    signer_position_ru = models.CharField(_("signer's position, in Russian"), max_length=200, blank=True)
    offer_version = models.CharField(
        _("offer version"),
        max_length=20,
        default="1",
        help_text=_("Version of the public offer (contract) customers accept at their first order."),
    )

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("provider legal entity")
        verbose_name_plural = _("provider legal entities")

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    """One of a customer's projects (a site, an app, a game network): what tickets, renewable
    objects and costs are grouped by, so each project keeps its own history."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(_("name"), max_length=200)
    domain = models.CharField(_("main domain"), max_length=253, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["customer", "name"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [models.UniqueConstraint(fields=["customer", "name"], name="project_unique_name_per_customer")]

    def __str__(self) -> str:
        return self.name
