"""A small Minecraft catalogue for tests, priced in ZAR."""

from __future__ import annotations

from decimal import Decimal

from hostkeep.catalog.choices import OptionKind, PeriodUnit, PricingModel, PromoKind
from hostkeep.catalog.models import (
    Addon,
    AddonPrice,
    ConfigurableOption,
    MeteredPrice,
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


def minecraft_catalog(*, stock_limit: int | None = None) -> dict:
    group = ProductGroup.objects.create(name="Minecraft servers", slug="minecraft")
    vat = TaxClass.objects.create(code="standard", name="Standard VAT")
    TaxRate.objects.create(tax_class=vat, country="ZA", rate=Decimal("15"))
    TaxRate.objects.create(tax_class=vat, country="", rate=Decimal("0"))
    product = Product.objects.create(
        group=group,
        name="Minecraft server",
        slug="minecraft-server",
        stock_limit=stock_limit,
        tax_class=vat,
        grace_days=3,
        termination_days=14,
    )
    stone = Plan.objects.create(
        product=product, code="stone", name="Stone", pricing_model=PricingModel.RECURRING, sort_order=1
    )
    iron = Plan.objects.create(
        product=product, code="iron", name="Iron", pricing_model=PricingModel.RECURRING, sort_order=2
    )
    diamond = Plan.objects.create(
        product=product, code="diamond", name="Diamond", pricing_model=PricingModel.RECURRING, sort_order=3
    )
    for plan, monthly in ((stone, "100"), (iron, "200"), (diamond, "400")):
        PlanPrice.objects.create(
            plan=plan,
            currency="ZAR",
            period_unit=PeriodUnit.MONTH,
            period_count=1,
            amount=Decimal(monthly),
            setup_fee=Decimal("50"),
        )
        PlanPrice.objects.create(
            plan=plan,
            currency="ZAR",
            period_unit=PeriodUnit.MONTH,
            period_count=3,
            amount=Decimal(monthly) * 3 * Decimal("0.95"),
        )
        PlanPrice.objects.create(
            plan=plan, currency="ZAR", period_unit=PeriodUnit.MONTH, period_count=12, amount=Decimal(monthly) * 10
        )
        PlanPrice.objects.create(
            plan=plan, currency="USD", period_unit=PeriodUnit.MONTH, period_count=1, amount=Decimal(monthly) / 18
        )
    ram = ConfigurableOption.objects.create(
        product=product,
        code="ram_gb",
        name="RAM (GB)",
        kind=OptionKind.QUANTITY,
        minimum=2,
        maximum=16,
        step=1,
        default_quantity=2,
        included_quantity=2,
        module_field="memory",
        module_multiplier=1024,
    )
    OptionPrice.objects.create(
        option=ram, currency="ZAR", period_unit=PeriodUnit.MONTH, period_count=1, amount=Decimal("20")
    )
    location = ConfigurableOption.objects.create(
        product=product, code="location", name="Location", kind=OptionKind.SELECT, module_field="location"
    )
    OptionChoice.objects.create(option=location, code="jhb", label="Johannesburg", module_value="1", is_default=True)
    cpt = OptionChoice.objects.create(option=location, code="cpt", label="Cape Town", module_value="2")
    OptionPrice.objects.create(
        option=location, choice=cpt, currency="ZAR", period_unit=PeriodUnit.MONTH, period_count=1, amount=Decimal("10")
    )
    backups = Addon.objects.create(code="backups", name="Daily backups", module_limits={"backups": 3})
    backups.products.add(product)
    AddonPrice.objects.create(
        addon=backups, currency="ZAR", period_unit=PeriodUnit.MONTH, period_count=1, amount=Decimal("30")
    )
    payg = Plan.objects.create(product=product, code="hourly", name="Hourly", pricing_model=PricingModel.PAY_AS_YOU_GO)
    MeteredPrice.objects.create(
        plan=payg, resource="server_hours", unit="hour", currency="ZAR", unit_price=Decimal("0.25")
    )
    promo = PromoCode.objects.create(code="LAUNCH20", kind=PromoKind.PERCENT, value=Decimal("20"))
    return {
        "group": group,
        "product": product,
        "stone": stone,
        "iron": iron,
        "diamond": diamond,
        "ram": ram,
        "location": location,
        "backups": backups,
        "payg": payg,
        "promo": promo,
        "vat": vat,
    }
