"""Helpdesk: tickets, messages, departments, support lines, canned replies, attachments, mail, time logs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from hostkeep.accounts.models import Contact, Customer, Project, StaffMember, User, default_currency
from hostkeep.catalog.models import Plan
from hostkeep.core.fields import AmountField, EncryptedTextField
from hostkeep.helpdesk.choices import (
    OPEN_STATUSES,
    AuthorKind,
    Channel,
    InboundStatus,
    MessageKind,
    SupportLine,
    TicketPriority,
    TicketStatus,
)
from hostkeep.services.models import Service


class Department(models.Model):
    """A team tickets are routed to. Replies by line 3 go out under the department's name and
    address, never the agent's. A paid department charges every ticket (a fixed price, or by
    the billable time logged)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    email = models.EmailField(_("sends as"), blank=True, help_text=_("From address of replies."))
    is_public = models.BooleanField(_("customers may choose it"), default=True)
    is_paid = models.BooleanField(_("paid support"), default=False)
    price_per_ticket = AmountField(_("price per ticket"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    sort_order = models.PositiveIntegerField(pgettext_lazy("position in a list", "order"), default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Targets of a department, optionally for one plan: minutes to the first staff reply and
    to resolution. The most specific row wins (department + plan, then department, then none)."""

    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.CASCADE, related_name="slas")
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    first_response_minutes = models.PositiveIntegerField(_("first response, minutes"))
    resolution_minutes = models.PositiveIntegerField(_("resolution, minutes"))

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [
            models.UniqueConstraint(fields=["department", "plan"], name="sla_once_per_department_plan"),
            models.UniqueConstraint(
                fields=["department"], condition=models.Q(plan__isnull=True), name="sla_once_per_department"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.department or '*'} / {self.plan or '*'}"


class Tag(models.Model):
    name = models.SlugField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    """One request. ``customer`` is empty for an unknown sender (or a reply whose sender is not
    a contact of the ticket's customer) until staff match it: such a ticket is never shown on
    the customer side. ``reply_token`` threads mail replies and is unguessable."""

    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    requester_email = models.EmailField(_("requester e-mail"), blank=True)
    requester_name = models.CharField(_("requester name"), max_length=200, blank=True)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    domain = models.CharField(_("domain"), max_length=253, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="tickets")
    line = models.PositiveSmallIntegerField(_("support line"), choices=SupportLine.choices, default=SupportLine.FIRST)
    priority = models.CharField(
        _("priority"), max_length=8, choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    status = models.CharField(_("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.NEW)
    assignee = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    watchers = models.ManyToManyField(Contact, blank=True, related_name="watched_tickets")
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    subject = models.CharField(_("subject"), max_length=250)
    reply_token = models.CharField(max_length=24, unique=True)
    channel = models.CharField(_("opened through"), max_length=8, choices=Channel.choices)
    needs_review = models.BooleanField(_("needs matching"), default=False)
    is_paid = models.BooleanField(_("paid request"), default=False)
    fixed_price = AmountField(_("fixed price"), null=True, blank=True)
    discount_percent = models.DecimalField(_("discount, %"), max_digits=5, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("opened"))
    updated_at = models.DateTimeField(_("updated"))
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    sla_warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="ticket_queue"),
            models.Index(fields=["customer", "-updated_at"], name="ticket_customer"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee"),
            # Newest first, as lists show them: the staff queue of open tickets walks the
            # partial index and stops after a page; searches for common words walk either.
            models.Index(
                fields=["-updated_at", "-id"], name="ticket_open_recent", condition=models.Q(status__in=OPEN_STATUSES)
            ),
            models.Index(fields=["-updated_at", "-id"], name="ticket_recent"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class TicketMessage(models.Model):
    """A public reply or an internal note. ``public_author_name`` is what customers see: the
    agent's name, or the department's for line 3 (``sent_as_department``); notes are never
    shown to customers. ``body`` is Markdown source from an untrusted person; it is rendered
    through ``rendering.markdown_to_html`` wherever it is shown."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=8, choices=MessageKind.choices, default=MessageKind.REPLY)
    author_kind = models.CharField(max_length=8, choices=AuthorKind.choices)
    author_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    author_email = models.EmailField(blank=True)
    public_author_name = models.CharField(max_length=200, blank=True)
    sent_as_department = models.BooleanField(default=False)
    body = models.TextField(_("message"))
    channel = models.CharField(max_length=8, choices=Channel.choices)
    email_message_id = models.CharField(max_length=998, blank=True, db_index=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket")]

    def __str__(self) -> str:
        return f"{self.ticket_id}/{self.pk}"


class Attachment(models.Model):
    """A file sent with a message, stored under the private data folder (never the web root)
    and served only through a view that checks the reader may see the ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100, default="application/octet-stream")
    size = models.PositiveBigIntegerField()
    storage_path = models.CharField(max_length=300, unique=True)
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class Escalation(models.Model):
    """A move of a ticket between lines or departments, with the reason (history)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="escalations")
    from_line = models.PositiveSmallIntegerField(choices=SupportLine.choices)
    to_line = models.PositiveSmallIntegerField(choices=SupportLine.choices)
    from_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    to_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.from_line}->{self.to_line}"


class CannedReply(models.Model):
    """A prepared answer. Variables in braces ({customer_name}, {service}, {due_date},
    {ticket_subject}, {agent_name}) are filled in from the ticket when inserted."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title


class Rating(models.Model):
    """The customer's rating of a resolved ticket's answers (1-5), credited to the agent."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="rating")
    agent = models.ForeignKey(StaffMember, null=True, on_delete=models.SET_NULL, related_name="ratings")
    score = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="rating_1_to_5")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.score}/5"


class AgentRate(models.Model):
    """What an hour of an agent's time costs the customer (and feeds salary and profit reports)."""

    staff = models.OneToOneField(StaffMember, on_delete=models.CASCADE, related_name="helpdesk_rate")
    hourly_rate = AmountField(_("hourly rate"))
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)

    def __str__(self) -> str:
        return f"{self.staff_id}: {self.hourly_rate} {self.currency}"


class CustomerRate(models.Model):
    """A customer's own hourly rate for logged time; it wins over the agent's."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="helpdesk_rate")
    hourly_rate = AmountField(_("hourly rate"))

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.hourly_rate}"


class TimeLog(models.Model):
    """Time an agent spent on a ticket. ``rate`` is the hourly rate that applied when logged;
    ``invoice_id`` is set once billable time is charged, so it is never charged twice."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="time_logs")
    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="time_logs")
    minutes = models.PositiveIntegerField(_("minutes"))
    billable = models.BooleanField(_("billable"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    rate = AmountField(_("hourly rate"), default=0)
    currency = models.CharField(max_length=3, default=default_currency)
    invoice_id = models.BigIntegerField(null=True, blank=True)
    logged_at = models.DateTimeField()

    class Meta:
        ordering = ["logged_at", "id"]
        verbose_name = _("time log")
        verbose_name_plural = _("time logs")
        constraints = [models.CheckConstraint(condition=models.Q(minutes__gt=0), name="time_log_positive")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.minutes} min"


class Mailbox(models.Model):
    """An IMAP mailbox polled for tickets. ``address`` is the support address replies go to
    (with ``+token`` added for threading)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.EmailField(_("address"))
    host = models.CharField(_("IMAP host"), max_length=200)
    port = models.PositiveIntegerField(_("IMAP port"), default=993)
    use_ssl = models.BooleanField(_("TLS"), default=True)
    username = models.CharField(_("user"), max_length=200)
    password = EncryptedTextField(_("password"))
    folder = models.CharField(_("folder"), max_length=100, default="INBOX")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="mailboxes")
    is_active = models.BooleanField(_("active"), default=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.name


class InboundMail(models.Model):
    """Every mail that came in, once per Message-ID (insert first: a second copy is a
    duplicate), with what became of it."""

    message_id = models.CharField(max_length=998, unique=True)
    mailbox = models.ForeignKey(Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=250, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=8, choices=InboundStatus.choices)
    reason = models.CharField(max_length=300, blank=True)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField()
    # A refused mail's sender is told once: set when that notice is claimed for sending.
    refusal_noticed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound mail")
        verbose_name_plural = _("inbound mail")
        indexes = [models.Index(fields=["sender", "received_at"], name="inbound_sender")]

    def __str__(self) -> str:
        return self.message_id


class WidgetKey(models.Model):
    """The key of a site widget: a customer embeds it on a project's site; tickets from it go
    to that customer and project. Only pages on ``allowed_origins`` may submit."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="widget_keys")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=40, unique=True)
    allowed_origins = models.TextField(_("allowed origins"), help_text=_("One per line, e.g. https://example.com"))
    is_active = models.BooleanField(_("active"), default=True)
    hourly_limit = models.PositiveIntegerField(
        _("tickets per hour from one address"),
        null=True,
        blank=True,
        help_text=_("Empty: the site-wide default."),
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("widget key")
        verbose_name_plural = _("widget keys")

    def __str__(self) -> str:
        return self.key

    def origins(self) -> list[str]:
        return [line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()]

    def rate_per_hour(self) -> int:
        """Tickets one visitor's address may open through this key in an hour."""
        return self.hourly_limit or settings.HELPDESK_WIDGET_RATE
