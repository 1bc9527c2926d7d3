"""API shapes of notifications."""

from __future__ import annotations

import datetime as dt

from ninja import Schema

from hostkeep.notifications.models import Delivery


class NotificationOut(Schema):
    id: int
    topic: str
    subject: str
    text: str
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None

    @staticmethod
    def resolve_topic(delivery: Delivery) -> str:
        return delivery.notification.topic

    @staticmethod
    def resolve_text(delivery: Delivery) -> str:
        return delivery.body_text

    @staticmethod
    def resolve_link(delivery: Delivery) -> str:
        return delivery.notification.link


class UnreadOut(Schema):
    unread: int


class ReadIn(Schema):
    ids: list[int] | None = None


class ReadOut(Schema):
    marked: int


class PreferenceOut(Schema):
    category: str
    channel: str
    enabled: bool
    critical: bool


class PreferenceIn(Schema):
    category: str
    channel: str
    enabled: bool


class DeliveryOut(Schema):
    id: int
    topic: str
    channel: str
    recipient_key: str
    address: str
    language: str
    status: str
    attempts: int
    last_error: str
    created_at: dt.datetime
    sent_at: dt.datetime | None

    @staticmethod
    def resolve_topic(delivery: Delivery) -> str:
        return delivery.notification.topic
