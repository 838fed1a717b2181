import ArgumentParser

/// `ledger-reliability`: crash, concurrency and resource-exhaustion trials against a real store.
///
/// Every subcommand prints its figures, then a closing line exactly of the form
/// `N passed, M failed`, and exits 1 when any check failed. The hidden `*-child` subcommands are
/// the processes the trials spawn, kill and inspect; they are not meant to be run by hand.
@main
struct LedgerReliability: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ledger-reliability",
    abstract:
      "Crash, multi-process, map-growth, disk-full, tamper, maintenance and damaged-file trials.",
    discussion: """
      Each subcommand ends with a line `N passed, M failed` and exits 1 when a check failed \
      (0 otherwise). A trial that cannot run on this machine is reported as skipped, never as \
      passed. Stores are made under --work-dir (default: a fresh temporary folder, removed \
      afterwards unless a check failed).
      """,
    subcommands: [
      CrashTrials.self, MultiProcess.self, MapGrowth.self, DiskFull.self, Tamper.self,
      Maintenance.self, Damaged.self,
      CrashChild.self, MultiProcessChild.self, MapGrowthChild.self, DiskFullChild.self,
      MaintenanceChild.self, DamagedChild.self,
    ]
  )
}
