"""Plots shared by several results (forest, funnel, event study, posterior, Kaplan-Meier)."""
