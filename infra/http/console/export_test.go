package console

// ExplainText is explain, for the external tests.
var ExplainText = explain
