"""Profiles built from partner data: interventions evaluated before/after, the Cardiff model."""
