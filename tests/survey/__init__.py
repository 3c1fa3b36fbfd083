"""Tests of analysis.survey."""
