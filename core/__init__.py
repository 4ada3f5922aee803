"""The pure core: domain rules (segments, billing, locks), the conflict rules, the text rules and
the capture value types. It imports nothing of ours and no framework, so both programs, the
capture engine and the cache can use it and every rule is testable alone."""
