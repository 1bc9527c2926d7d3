"""What a provider sells: product groups, products with their provisioning settings and
policy, plans with prices per period and currency, metered prices, configurable options,
add-ons, promo codes and tax classes. Prices here are list prices; what a customer pays is
always recomputed from them on the server (see pricing.py)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hostkeep.catalog.choices import OptionKind, PeriodUnit, PricingModel, PromoKind, RefundPolicy, Visibility
from hostkeep.core.fields import AmountField


class TaxClass(models.Model):
    """A kind of supply for tax purposes (standard, reduced, exempt); rates per country."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("tax class")
        verbose_name_plural = _("tax classes")

    def __str__(self) -> str:
        return self.name


class TaxRate(models.Model):
    """The VAT rate of a tax class in a customer's country; a blank country is the fallback."""

    tax_class = models.ForeignKey(TaxClass, on_delete=models.CASCADE, related_name="rates")
    country = models.CharField(_("country"), max_length=2, blank=True)
    rate = models.DecimalField(
        _("rate, %"), max_digits=7, decimal_places=4, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")
        constraints = [models.UniqueConstraint(fields=["tax_class", "country"], name="tax_rate_once_per_country")]

    def __str__(self) -> str:
        return f"{self.tax_class} {self.country or '*'} {self.rate}%"


class ProductGroup(models.Model):
    """A shelf of the catalogue: Minecraft servers, VPS, web hosting, support plans..."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveIntegerField(pgettext_lazy("position in a list", "order"), default=0)
    is_visible = models.BooleanField(_("visible"), default=True)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("product group")
        verbose_name_plural = _("product groups")

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A thing sold, provisioned by one module with that module's settings, under one policy
    for grace, termination, renewal, approval and refunds."""

    group = models.ForeignKey(ProductGroup, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(_("name"), max_length=160)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    visibility = models.CharField(_("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC)
    sort_order = models.PositiveIntegerField(pgettext_lazy("position in a list", "order"), default=0)
    stock_limit = models.PositiveIntegerField(_("stock limit"), null=True, blank=True, help_text=_("Empty: unlimited."))
    stock_used = models.PositiveIntegerField(_("sold"), default=0)
    module = models.CharField(_("provisioning module"), max_length=40, blank=True)
    module_settings = models.JSONField(_("module settings"), default=dict, blank=True)
    tax_class = models.ForeignKey(TaxClass, null=True, blank=True, on_delete=models.PROTECT, related_name="products")
    grace_days = models.PositiveIntegerField(_("days unpaid before suspension"), default=3)
    termination_days = models.PositiveIntegerField(_("days unpaid before termination"), default=14)
    auto_renew_default = models.BooleanField(_("auto-renew by default"), default=True)
    requires_approval = models.BooleanField(_("staff approve orders"), default=False)
    refund_policy = models.CharField(
        _("refund on cancellation"), max_length=16, choices=RefundPolicy.choices, default=RefundPolicy.PRORATED
    )
    allows_short_periods = models.BooleanField(_("days and hours allowed as periods"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group__sort_order", "sort_order", "name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(
                condition=Q(stock_limit__isnull=True) | Q(stock_used__lte=models.F("stock_limit")),
                name="product_stock_not_oversold",
            ),
            models.CheckConstraint(
                condition=Q(termination_days__gte=models.F("grace_days")), name="product_termination_after_grace"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Plan(models.Model):
    """A tariff of a product, with exactly one pricing model."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="plans")
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    pricing_model = models.CharField(_("pricing model"), max_length=20, choices=PricingModel.choices)
    trial_days = models.PositiveIntegerField(_("free trial, days"), default=0)
    is_active = models.BooleanField(_("on sale"), default=True)
    sort_order = models.PositiveIntegerField(pgettext_lazy("position in a list", "order"), default=0)
    rules_of_service = models.TextField(_("rules of service"), blank=True)

    class Meta:
        ordering = ["product_id", "sort_order", "id"]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        constraints = [models.UniqueConstraint(fields=["product", "code"], name="plan_code_unique_per_product")]

    def __str__(self) -> str:
        return f"{self.product.name} — {self.name}"


class PlanPrice(models.Model):
    """The list price of a plan for one billing period in one currency (plus a setup fee).

    A one-time plan has one price with the period ``once``; pay-as-you-go plans have none
    (only metered prices); hybrid and allocation-pool plans have both.
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(_("currency"), max_length=3)
    period_unit = models.CharField(_("period unit"), max_length=8, choices=PeriodUnit.choices)
    period_count = models.PositiveIntegerField(_("period length"), default=1, validators=[MinValueValidator(1)])
    amount = AmountField(_("price"), validators=[MinValueValidator(0)])
    setup_fee = AmountField(_("setup fee"), default=0, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["plan_id", "currency", "period_unit", "period_count"]
        verbose_name = _("plan price")
        verbose_name_plural = _("plan prices")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "currency", "period_unit", "period_count"], name="plan_price_once_per_period"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0) & Q(setup_fee__gte=0), name="plan_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.amount} {self.currency}/{self.period_count} {self.period_unit}"


class MeteredPrice(models.Model):
    """The unit price of a metered resource on a plan, with a monthly allowance included for
    allocation-pool plans (only usage above it is rated)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="metered_prices")
    resource = models.SlugField(_("resource"), max_length=40, help_text=_("e.g. server_hours, ram_gb_hours, players"))
    unit = models.CharField(_("unit"), max_length=30)
    currency = models.CharField(_("currency"), max_length=3)
    unit_price = AmountField(_("price per unit"), validators=[MinValueValidator(0)])
    included_quantity = models.DecimalField(
        _("included per month"), default=0, max_digits=19, decimal_places=4, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("metered price")
        verbose_name_plural = _("metered prices")
        constraints = [
            models.UniqueConstraint(fields=["plan", "resource", "currency"], name="metered_price_once"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0) & Q(included_quantity__gte=0), name="metered_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.resource} {self.unit_price} {self.currency}/{self.unit}"


class ConfigurableOption(models.Model):
    """A choice the customer makes when ordering (RAM, slots, location, game version), with
    bounds and the module limit it sets: a quantity times ``module_multiplier`` (GB -> MB),
    or the chosen value's ``module_value``."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="options")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=OptionKind.choices)
    minimum = models.PositiveIntegerField(_("minimum"), default=0)
    maximum = models.PositiveIntegerField(_("maximum"), default=0)
    step = models.PositiveIntegerField(_("step"), default=1, validators=[MinValueValidator(1)])
    default_quantity = models.PositiveIntegerField(_("default quantity"), default=0)
    included_quantity = models.PositiveIntegerField(
        _("included in the plan price"), default=0, help_text=_("Only units above this are charged.")
    )
    module_field = models.CharField(_("module limit"), max_length=40, blank=True)
    module_multiplier = models.PositiveIntegerField(_("module multiplier"), default=1)
    sort_order = models.PositiveIntegerField(pgettext_lazy("position in a list", "order"), default=0)

    class Meta:
        ordering = ["product_id", "sort_order", "id"]
        verbose_name = _("configurable option")
        verbose_name_plural = _("configurable options")
        constraints = [
            models.UniqueConstraint(fields=["product", "code"], name="option_code_unique_per_product"),
            models.CheckConstraint(
                condition=Q(kind="select")
                | (
                    Q(minimum__lte=models.F("maximum"))
                    & Q(default_quantity__gte=models.F("minimum"))
                    & Q(default_quantity__lte=models.F("maximum"))
                ),
                name="option_range_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name}: {self.name}"


class OptionChoice(models.Model):
    """One value of a select option (a location, a game version)."""

    option = models.ForeignKey(ConfigurableOption, on_delete=models.CASCADE, related_name="choices")
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("label"), max_length=100)
    module_value = models.CharField(_("module value"), max_length=200, blank=True)
    is_default = models.BooleanField(_("default"), default=False)
    sort_order = models.PositiveIntegerField(pgettext_lazy("position in a list", "order"), default=0)

    class Meta:
        ordering = ["option_id", "sort_order", "id"]
        verbose_name = _("option choice")
        verbose_name_plural = _("option choices")
        constraints = [models.UniqueConstraint(fields=["option", "code"], name="option_choice_code_unique")]

    def __str__(self) -> str:
        return self.label


class OptionPrice(models.Model):
    """The price delta of an option per billing period and currency: per unit above the
    included quantity for a quantity option, per chosen value for a select option."""

    option = models.ForeignKey(ConfigurableOption, on_delete=models.CASCADE, related_name="prices")
    choice = models.ForeignKey(OptionChoice, null=True, blank=True, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(_("currency"), max_length=3)
    period_unit = models.CharField(_("period unit"), max_length=8, choices=PeriodUnit.choices)
    period_count = models.PositiveIntegerField(_("period length"), default=1)
    amount = AmountField(_("price"), validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("option price")
        verbose_name_plural = _("option prices")
        constraints = [
            models.UniqueConstraint(
                fields=["option", "currency", "period_unit", "period_count"],
                condition=Q(choice__isnull=True),
                name="option_price_once_per_unit",
            ),
            models.UniqueConstraint(
                fields=["option", "choice", "currency", "period_unit", "period_count"],
                condition=Q(choice__isnull=False),
                name="option_price_once_per_choice",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="option_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.option} {self.amount} {self.currency}"


class Addon(models.Model):
    """An extra billed as its own item linked to a service (backups, databases, dedicated IP);
    ``module_limits`` are added to the service's limits (e.g. {"backups": 2})."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    products = models.ManyToManyField(Product, related_name="addons", blank=True)
    module_limits = models.JSONField(_("module limits added"), default=dict, blank=True)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("add-on")
        verbose_name_plural = _("add-ons")

    def __str__(self) -> str:
        return self.name


class AddonPrice(models.Model):
    addon = models.ForeignKey(Addon, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(_("currency"), max_length=3)
    period_unit = models.CharField(_("period unit"), max_length=8, choices=PeriodUnit.choices)
    period_count = models.PositiveIntegerField(_("period length"), default=1)
    amount = AmountField(_("price"), validators=[MinValueValidator(0)])
    setup_fee = AmountField(_("setup fee"), default=0, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("add-on price")
        verbose_name_plural = _("add-on prices")
        constraints = [
            models.UniqueConstraint(
                fields=["addon", "currency", "period_unit", "period_count"], name="addon_price_once"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0) & Q(setup_fee__gte=0), name="addon_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.addon} {self.amount} {self.currency}"


class PromoCode(models.Model):
    """A discount code. ``times_used`` is a counter moved only under the row's lock at
    checkout, so ``max_uses`` holds under concurrent checkouts."""

    code = models.CharField(_("code"), max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=PromoKind.choices)
    value = AmountField(_("value"), validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency (fixed amounts)"), max_length=3, blank=True)
    plans = models.ManyToManyField(Plan, related_name="promo_codes", blank=True, help_text=_("Empty: every plan."))
    recurring = models.BooleanField(_("applies to every period"), default=False)
    starts_at = models.DateTimeField(_("valid from"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(_("total uses"), null=True, blank=True)
    max_uses_per_customer = models.PositiveIntegerField(_("uses per customer"), null=True, blank=True)
    times_used = models.PositiveIntegerField(_("used"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("promo code")
        verbose_name_plural = _("promo codes")
        constraints = [
            models.UniqueConstraint(
                Upper("code"),
                name="promo_code_unique_ci",
                violation_error_message=_("A promo code with this code already exists (in any case)."),
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(times_used__lte=models.F("max_uses")),
                name="promo_code_not_overused",
            ),
            models.CheckConstraint(condition=~Q(kind="percent") | Q(value__lte=100), name="promo_percent_at_most_100"),
            models.CheckConstraint(condition=~Q(kind="fixed") | ~Q(currency=""), name="promo_fixed_has_currency"),
        ]

    def __str__(self) -> str:
        return self.code
