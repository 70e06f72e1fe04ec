/**
 * Runs before every test file: the service's JSON logs (and the stack traces of the
 * errors tests provoke on purpose) are silenced, so a passing run prints only jest's
 * own report. Set POWERTOOLS_LOG_LEVEL yourself (e.g. DEBUG) to see them again.
 */
process.env.POWERTOOLS_LOG_LEVEL ||= 'SILENT';
