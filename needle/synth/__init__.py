"""The realistic synthetic initiative: a collective impact initiative in Trafford.

``generate`` writes two years of quarterly submissions from a dozen fictional partners,
some deliberately messy with the problems the validator must report, plus the ground
truth behind them; ``big_submission`` writes one very large valid submission for
benchmarks. Synthetic people only, at real Trafford postcodes.
"""

from needle.synth.big import big_submission
from needle.synth.generate import SynthSummary, generate

__all__ = ["SynthSummary", "big_submission", "generate"]
