"""Plots shared by several results (forest, funnel, event study, posterior, Kaplan-Meier).

The functions live in the submodules (``coachstats.plotting.forest.forest_plot``,
``funnel.funnel_plot``, ``event_study.event_study_plot``, ``km.plot_km``/``km.plot_cif``);
they are reached through each result's ``plot()``, which documents the options it passes on.
"""

__all__: list[str] = []
