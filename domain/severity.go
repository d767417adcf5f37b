package domain

// Severity is the business impact the partner selects when filing. Persisted:
// never rename a value.
type Severity string

// Severities.
const (
	SeverityA Severity = "A" // critical: significant loss or degradation, production down
	SeverityB Severity = "B" // moderate: production partly affected
	SeverityC Severity = "C" // minimal: services still available, or non-production affected
)

// Valid reports whether s is A, B or C.
func (s Severity) Valid() bool { return s == SeverityA || s == SeverityB || s == SeverityC }
