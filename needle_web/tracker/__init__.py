"""Backbone tracking of submissions per period and data quality across partners."""
