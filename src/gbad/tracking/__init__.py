"""Tracking: batched filters, motion models, association, track management, fusion."""
