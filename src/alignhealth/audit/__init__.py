"""Scheduled audits: check the configured workbooks, remember every run, mail what changed."""
