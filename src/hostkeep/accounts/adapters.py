"""allauth hooks: a sign-up opens a customer account; log-ins are audited."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest

from hostkeep.accounts.actions import customer_register
from hostkeep.accounts.middleware import client_ip
from hostkeep.accounts.models import User
from hostkeep.accounts.selectors import actor_for_user
from hostkeep.core.actions import audit_record
from hostkeep.core.fields import decrypt_text, encrypt_text


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            lang = getattr(request, "LANGUAGE_CODE", "en")
            if lang in {"en", "ru", "es"} and user.language != lang:
                User.objects.filter(pk=user.pk).update(language=lang)
                user.language = lang
            customer_register(user=user, actor=actor_for_user(user, ip_address=client_ip(request)))
        return user

    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        actor = actor_for_user(user, ip_address=client_ip(request))
        audit_record(
            actor=actor.audit(), action="auth.login", customer_id=actor.customer.pk if actor.customer else None
        )


class MFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]
    """TOTP secrets and recovery-code seeds are stored encrypted, like integration secrets."""

    def encrypt(self, text: str) -> str:
        return encrypt_text(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_text(encrypted_text)
