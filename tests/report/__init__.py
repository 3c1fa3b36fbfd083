"""Tests of the report layer: Swedish text, figures and the batch runner (issue 5)."""
