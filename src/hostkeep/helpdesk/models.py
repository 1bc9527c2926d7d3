"""Helpdesk: tickets, messages, departments, support lines, canned replies, attachments, mail, time logs."""
