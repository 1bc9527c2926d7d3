"""Documents endpoints: customer-scoped (``customer_router``) and staff (``staff_router``)."""

from ninja import Router

customer_router = Router()
staff_router = Router()
