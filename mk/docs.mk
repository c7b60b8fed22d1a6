# The reference page is written from the code (job/reference.py): whoever changes a command, an option, a
# setting, a flow, an exit status or a log event runs `make docs`. make test does not write it; its drift
# test (tests/test_docs.py) fails while the page and the code disagree.

.PHONY: docs
docs: install ## Write docs/reference.md from the code (commands, settings, flows, exit statuses, log events)
	$(PY) -m job.reference docs/reference.md
