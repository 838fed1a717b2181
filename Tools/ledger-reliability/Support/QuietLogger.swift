import Logging

/// A logger that lets errors through only: the harness prints its own figures, and the stores it
/// damages or races on would otherwise fill the output with expected warnings.
func quietLogger() -> Logger {
  var logger = Logger(label: "ledger-reliability")
  logger.logLevel = .error
  return logger
}
