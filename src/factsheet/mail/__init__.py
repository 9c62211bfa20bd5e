"""Sending briefings by email: recipients, messages, transport and the ledger."""
