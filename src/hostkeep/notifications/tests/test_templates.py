"""Templates: staff's own text per event, channel and language, with a preview; and the
proof that neither a template nor a customer's words can run code or read settings."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail

from hostkeep.accounts.selectors import actor_for_user
from hostkeep.core.errors import PermissionRefused, ValidationFailed
from hostkeep.notifications import actions, rendering, selectors
from hostkeep.notifications.models import Delivery, MessageTemplate

pytestmark = pytest.mark.django_db

HOSTILE = [
    "{{ settings.SECRET_KEY }}",
    "{{ settings }}",
    "{% load static %}{% static 'x' %}",
    "{% include 'base.html' %}",
    "{% debug %}",
    "{% now 'Y' %}",
    "{{ name.__class__.__mro__ }}",
    "{{ name|safe }}",
    "{{7*7}}",
    "{# comment #}",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_template_syntax_renders_as_nothing(template):
    rendered = rendering.render(f"a{template}b", {"name": "x"})

    assert rendered == "ab"
    assert settings.SECRET_KEY not in rendered


@pytest.mark.parametrize("template", HOSTILE)
def test_staff_cannot_save_a_template_with_anything_but_placeholders(ping, admin, template):
    with pytest.raises(ValidationFailed) as refused:
        actions.template_save(
            actor=actor_for_user(admin.user),
            topic="test.ping",
            channel="email",
            language="en",
            subject="Ping",
            body_text=f"Hello {template}",
        )

    assert refused.value.code == "template_refused"
    assert MessageTemplate.objects.count() == 0


def test_a_customers_words_are_never_rendered_again(ping, owner_a, emit):
    owner_a.user.full_name = "{{ settings.SECRET_KEY }} {% debug %} {{7*7}}"
    owner_a.user.save()

    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "{% now 'Y' %}<script>alert(1)</script>"})

    (message,) = mail.outbox
    assert message.body == (
        "Hello {{ settings.SECRET_KEY }} {% debug %} {{7*7}}: {% now 'Y' %}<script>alert(1)</script>"
    )
    html = message.alternatives[0].content
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert settings.SECRET_KEY not in message.body + html
    assert "49" not in message.body


def test_staff_template_per_channel_and_language_wins_and_preview_shows_it(ping, owner_a, admin, emit):
    staff = actor_for_user(admin.user)
    actions.template_save(
        actor=staff,
        topic="test.ping",
        channel="email",
        language="en",
        subject="Custom {{ name }}",
        body_text="Dear {{ recipient_name }}, {{ name }} at {{ link }}",
        body_html="<p>Dear <b>{{ recipient_name }}</b></p>",
    )

    preview = selectors.template_preview(topic="test.ping", channel="email", language="en")
    assert preview.subject == "Custom Sample"
    assert preview.text == f"Dear Thabo Mokoena, Sample at {settings.BASE_URL}/portal/"
    assert "<p>Dear <b>Thabo Mokoena</b></p>" in preview.html
    unsaved = selectors.template_preview(
        topic="test.ping", channel="inapp", language="ru", subject="{{ name }}!", body_text="Текст {{ name }}"
    )
    assert (unsaved.subject, unsaved.text) == ("Sample!", "Текст Sample")

    emit("test.ping", {"customer_id": owner_a.customer_id, "name": "Alpha"})

    assert mail.outbox[0].subject == "Custom Alpha"
    # In-app has no template of its own, so it keeps the shipped text.
    assert Delivery.objects.get(channel="inapp").subject == "Ping Alpha"

    actions.template_reset(actor=staff, topic="test.ping", channel="email", language="en")
    assert MessageTemplate.objects.count() == 0


def test_unknown_placeholders_are_refused_and_customers_cannot_edit_templates(ping, owner_a, admin):
    with pytest.raises(ValidationFailed) as refused:
        actions.template_save(
            actor=actor_for_user(admin.user),
            topic="test.ping",
            channel="email",
            language="en",
            subject="x",
            body_text="{{ password }}",
        )
    assert "password" in str(refused.value.fields)
    with pytest.raises(PermissionRefused):
        actions.template_save(
            actor=actor_for_user(owner_a.user),
            topic="test.ping",
            channel="email",
            language="en",
            subject="x",
            body_text="y",
        )
