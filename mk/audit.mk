# The dependency audit (issue 12): pip-audit over the exact pins of uv.lock, runtime and dev groups alike.
# pip-audit asks PyPI's JSON API for each package's known vulnerabilities. Where that API is unreachable
# (this development machine reaches only the package index) it can check nothing: the target then says how
# many pins went unchecked instead of passing quietly. CI sets AUDIT_STRICT=1, where an unchecked pin fails
# the audit as a vulnerability does.
PIP_AUDIT_VERSION := 2.10.1
AUDIT_STRICT ?=
AUDIT_REQUIREMENTS := $(TOOLS)/audit-requirements.txt
AUDIT_REPORT := $(TOOLS)/audit-report.txt

.PHONY: audit
audit: $(UV) ## pip-audit the locked requirements (AUDIT_STRICT=1, as in CI: unchecked pins fail too)
	$(UV) export --frozen --quiet --format requirements-txt --no-emit-project --all-groups -o $(AUDIT_REQUIREMENTS)
	@status=0; $(UV) tool run --quiet --from "pip-audit==$(PIP_AUDIT_VERSION)" pip-audit --progress-spinner off \
	  --requirement $(AUDIT_REQUIREMENTS) --no-deps --disable-pip $(if $(AUDIT_STRICT),--strict) \
	  >$(AUDIT_REPORT) 2>&1 || status=$$?; \
	cat $(AUDIT_REPORT); \
	pins=$$(grep -c '==' $(AUDIT_REQUIREMENTS) || true); \
	unchecked=$$(grep -c 'could not be audited' $(AUDIT_REPORT) || true); \
	if [ "$$unchecked" -gt 0 ]; then \
	  echo "$@: $$unchecked of $$pins pinned packages were NOT checked (the vulnerability service did not answer):" \
	    "this audit proves nothing for them; CI runs it with AUDIT_STRICT=1" >&2; \
	fi; \
	if [ "$$status" -ne 0 ]; then echo "$@: pip-audit failed (exit $$status): see above" >&2; fi; \
	exit $$status
