"""Shared indicators: definitions, instruments, the engine, disclosure control."""
