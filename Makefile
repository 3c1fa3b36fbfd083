# Thin wrapper: the real task runner is tasks.py (it needs only Python 3.11).
.PHONY: test reports bench setup
test:
	python3 tasks.py test
reports:
	python3 tasks.py reports
bench:
	python3 tasks.py bench
setup:
	python3 tasks.py setup
