import Foundation

/// `verify_export.py`, the stand-alone Python verifier of audit exports, as shipped beside the
/// `treatment-ledger` executable (a SwiftPM resource of this target), so that `audit export` can
/// put a copy into every export.
public enum AuditVerifyScript {
  /// The script's file name.
  public static let fileName = "verify_export.py"

  /// The script's bytes, read from the resource bundle beside the running executable; nil when
  /// the executable was moved without its `TreatmentLedger_AuditVerifyScript.resources` folder.
  /// (SwiftPM's `Bundle.module` would stop the process in that case; this returns nil instead.)
  public static func bytes() -> [UInt8]? {
    let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "")
      .resolvingSymlinksInPath()
    let candidates = [
      Bundle.main.bundleURL, Bundle.main.executableURL?.deletingLastPathComponent(),
      executable.deletingLastPathComponent(),
    ].compactMap { $0 }
    for folder in candidates {
      let path = folder.appendingPathComponent("TreatmentLedger_AuditVerifyScript.resources")
        .appendingPathComponent(fileName).path
      if let data = FileManager.default.contents(atPath: path) { return Array(data) }
    }
    return nil
  }
}
