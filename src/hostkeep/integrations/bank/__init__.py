"""Bank transfer: a reference on the invoice, and bank-statement import matched by reference and amount."""
