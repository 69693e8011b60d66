"""Figures and the interactive topic map (the `report` stage)."""
