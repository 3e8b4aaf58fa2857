"""Fuzzing commsafe's file readers (issue 14): a seeded generator of whole input files with
hostile mutations (:mod:`fuzz.generate`), Hypothesis strategies over it
(:mod:`fuzz.strategies`), the oracle every case must satisfy (:mod:`fuzz.oracle`) and the
runner behind ``make fuzz`` (:mod:`fuzz.run`). See docs/fuzz.md.
"""
