"""APIGen: generate function-calling data and verify it by format, execution and meaning."""
