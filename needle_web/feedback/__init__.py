"""A partner's own measures over time beside anonymous peer benchmarks."""
