"""The initiative's settings: partners, periods, outcomes framework, indicators, thresholds."""
