"""Engagement: threat evaluation, weapon-target assignment, doctrine, launchers, interceptors."""
